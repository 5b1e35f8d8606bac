//! Issue 18: chainsmith opens every PKCS#12 file of `cryptography-vectors`
//! whose password the vectors document (`tests/corpus/pyca/pkcs12/`, 31
//! files, and `tests/corpus/pkits/pkcs12/`, 405 files), and reads from each
//! exactly the certificates and the key that pyca/cryptography reads.
//!
//! The outside truth is pyca/cryptography's `pkcs12.load_pkcs12`, run once
//! for all files. What chainsmith wrote is then read back by a second
//! Python process (PEM blocks decoded with `base64`, keys loaded with
//! `load_pem_private_key`), so no digest or parse is done by the test itself.
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use serde_json::{Value, json};

use crate::support::{cannot_run, chainsmith, corpus, have, py_stdin};

/// Files pyca/cryptography 48 cannot open, with the reason. Their
/// certificates are read with `openssl pkcs12 -nokeys` instead.
const PYCA_CANNOT_OPEN: [(&str, &str); 2] = [
    (
        "pkits/pkcs12/DSAParametersInheritedCACert.p12",
        "DSA public key without parameters (PKITS 4.1.5 inherits them from the issuer): pyca cannot parse the certificate",
    ),
    (
        "pkits/pkcs12/ValidDSAParameterInheritanceTest5EE.p12",
        "DSA public key without parameters (PKITS 4.1.5 inherits them from the issuer): pyca cannot parse the certificate",
    ),
];

/// Files whose private key is DSA. chainsmith reads their certificates,
/// but `--with-key` refuses a DSA key (it turns every key it writes into a
/// key pair, and DSA is not a key type it supports): one line, exit 2.
const DSA_KEYS: [&str; 5] = [
    "pkits/pkcs12/DSACACert.p12",
    "pkits/pkcs12/DSAParametersInheritedCACert.p12",
    "pkits/pkcs12/InvalidDSASignatureTest6EE.p12",
    "pkits/pkcs12/ValidDSAParameterInheritanceTest5EE.p12",
    "pkits/pkcs12/ValidDSASignaturesTest4EE.p12",
];

/// The documented password (tests/corpus/README.md): `None` for files made
/// without one (pyca's `None`; chainsmith is given an empty password file).
fn password(rel: &str) -> Option<&'static str> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if rel.starts_with("pkits/") {
        Some("password")
    } else if name.ends_with("-no-pwd.p12")
        || name == "no-password.p12"
        || name == "java-truststore.p12"
    {
        None
    } else if name.starts_with("cert-") || name == "no-cert-key-aes256cbc.p12" {
        Some("cryptography")
    } else {
        Some("password")
    }
}

fn p12_files(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(corpus(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".p12"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    v.sort();
    v
}

/// Run `script` with `input` as JSON on standard input; its standard output
/// is JSON.
fn python_json(script: &str, input: &Value) -> Value {
    serde_json::from_str(&py_stdin(script, input.to_string().as_bytes())).unwrap()
}

/// pyca/cryptography's reading of each file: certificates (SHA-256 of the
/// DER) and the SHA-256 of the key's SubjectPublicKeyInfo, or the error.
const PYCA_TRUTH: &str = r#"
import sys, json, hashlib, warnings
import multiprocessing
from cryptography.hazmat.primitives.serialization import pkcs12, Encoding, PublicFormat
def read(item):
    rel, path, pw = item
    warnings.simplefilter("ignore")
    try:
        p = pkcs12.load_pkcs12(open(path, "rb").read(), None if pw is None else pw.encode())
    except Exception as e:
        return rel, {"error": str(e)}
    certs = ([p.cert] if p.cert else []) + list(p.additional_certs)
    key = None
    if p.key is not None:
        spki = p.key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        key = hashlib.sha256(spki).hexdigest()
    return rel, {"certs": sorted(hashlib.sha256(c.certificate.public_bytes(Encoding.DER)).hexdigest() for c in certs), "key": key}
if __name__ == "__main__":
    items = json.load(sys.stdin)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        json.dump(dict(pool.map(read, items, chunksize=16)), sys.stdout)
"#;

/// What a PEM file holds: SHA-256 of the DER of each CERTIFICATE block
/// (decoded with base64 only, so certificates pyca cannot parse count too),
/// and the SubjectPublicKeyInfo digest of a key file.
const READ_BACK: &str = r#"
import sys, json, hashlib, base64, re
from cryptography.hazmat.primitives.serialization import load_pem_private_key, Encoding, PublicFormat
out = {}
for rel, certs, key in json.load(sys.stdin):
    r = {"certs": None, "key": None}
    if certs is not None:
        text = open(certs).read()
        blocks = re.findall(r"-----BEGIN CERTIFICATE-----\n(.*?)-----END CERTIFICATE-----", text, re.S)
        r["certs"] = sorted(hashlib.sha256(base64.b64decode("".join(b.split()))).hexdigest() for b in blocks)
    if key is not None:
        k = load_pem_private_key(open(key, "rb").read(), None, unsafe_skip_rsa_key_validation=True)
        spki = k.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        r["key"] = hashlib.sha256(spki).hexdigest()
    out[rel] = r
json.dump(out, sys.stdout)
"#;

/// One chainsmith run: (exit code, standard error).
fn run(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = chainsmith().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What chainsmith did with one file.
struct Seen {
    rel: String,
    /// `convert --to pem FILE -o certs.pem`.
    certs: (i32, String),
    /// `convert --to pem FILE --with-key --key-out key.pem -o with-key.pem`.
    with_key: (i32, String),
    certs_pem: PathBuf,
    key_pem: PathBuf,
}

fn convert_one(rel: &str, work: &Path, n: usize) -> Seen {
    let dir = work.join(n.to_string());
    std::fs::create_dir(&dir).unwrap();
    let pass = dir.join("pass");
    std::fs::write(&pass, password(rel).unwrap_or("")).unwrap();
    let input = corpus(rel);
    let certs_pem = dir.join("certs.pem");
    let key_pem = dir.join("key.pem");
    // `convert --to pem FILE --password-file pass` with `extra` flags.
    let convert = |extra: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "convert".as_ref(),
            "--to".as_ref(),
            "pem".as_ref(),
            input.as_os_str(),
            "--password-file".as_ref(),
            pass.as_os_str(),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let certs = convert(&["-o".as_ref(), certs_pem.as_os_str()]);
    let with_key_pem = dir.join("with-key.pem");
    let with_key = convert(&[
        "--with-key".as_ref(),
        "--key-out".as_ref(),
        key_pem.as_os_str(),
        "-o".as_ref(),
        with_key_pem.as_os_str(),
    ]);
    Seen {
        rel: rel.to_owned(),
        certs,
        with_key,
        certs_pem,
        key_pem,
    }
}

fn one_line(stderr: &str, rel: &str, needle: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{rel}: one error line expected: {stderr}");
    assert!(
        lines[0].contains(needle),
        "{rel}: expected `{needle}`: {stderr}"
    );
}

#[test]
fn chainsmith_reads_every_vectors_pkcs12_as_pyca_does() {
    if !have("python3") || !have("openssl") {
        return;
    }
    let probe = StdCommand::new("python3")
        .args([
            "-c",
            "from cryptography.hazmat.primitives.serialization import pkcs12; pkcs12.load_pkcs12",
        ])
        .output();
    if !probe.map(|o| o.status.success()).unwrap_or(false) {
        cannot_run(
            "python3 cannot import cryptography's pkcs12.load_pkcs12 (pip package `cryptography`)",
        );
        return;
    }
    let mut files = p12_files("pyca/pkcs12");
    assert_eq!(files.len(), 31, "the pyca set: {files:?}");
    let pkits = p12_files("pkits/pkcs12");
    assert_eq!(pkits.len(), 405);
    files.extend(pkits);

    // The truth: pyca/cryptography, one process for all 436 files.
    let input: Vec<Value> = files
        .iter()
        .map(|f| json!([f, corpus(f), password(f)]))
        .collect();
    // pyca is slow (it checks every RSA key): it runs while chainsmith does.
    let pyca = std::thread::spawn(move || python_json(PYCA_TRUTH, &json!(input)));
    // chainsmith, on a few threads (436 files, two runs each).
    let work = tempfile::tempdir().unwrap();
    let threads = 4;
    let seen: Vec<Seen> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let files = &files;
                let work = work.path();
                s.spawn(move || {
                    files
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % threads == t)
                        .map(|(i, f)| convert_one(f, work, i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(seen.len(), files.len());
    let truth = pyca.join().unwrap();
    let cannot: Vec<&str> = PYCA_CANNOT_OPEN.iter().map(|(f, _)| *f).collect();
    for f in &files {
        let opened = truth[f.as_str()].get("error").is_none();
        assert_eq!(
            opened,
            !cannot.contains(&f.as_str()),
            "{f}: pyca {}",
            truth[f.as_str()]
        );
    }

    // Exit codes and messages, per what pyca found in the file.
    let mut read_back = Vec::new();
    for s in &seen {
        let rel = s.rel.as_str();
        let t = &truth[rel];
        let has_certs = t["certs"].as_array().is_none_or(|c| !c.is_empty());
        let has_key = !t["key"].is_null() || cannot.contains(&rel);
        if has_certs {
            assert_eq!(s.certs.0, 0, "{rel}: {}", s.certs.1);
            // A key left behind is announced; none is invented.
            assert_eq!(
                s.certs.1.contains("holds a private key"),
                has_key,
                "{rel}: {}",
                s.certs.1
            );
        } else {
            assert_eq!(s.certs.0, 2, "{rel}: {}", s.certs.1);
            one_line(&s.certs.1, rel, "holds a private key but no certificate");
        }
        if DSA_KEYS.contains(&rel) {
            assert_eq!(s.with_key.0, 2, "{rel}: {}", s.with_key.1);
            one_line(&s.with_key.1, rel, "unsupported or malformed private key");
            assert!(!s.key_pem.exists(), "{rel}: nothing is written");
        } else if has_key {
            assert_eq!(s.with_key.0, 0, "{rel}: {}", s.with_key.1);
            assert!(s.key_pem.exists(), "{rel}: no key written");
        } else {
            assert_eq!(s.with_key.0, 2, "{rel}: {}", s.with_key.1);
            one_line(&s.with_key.1, rel, "hold no private key");
            assert!(!s.key_pem.exists(), "{rel}: nothing is written");
        }
        read_back.push(json!([
            rel,
            has_certs.then(|| s.certs_pem.clone()),
            s.key_pem.exists().then(|| s.key_pem.clone()),
        ]));
    }

    // The files pyca cannot open: OpenSSL's reading of the certificates.
    let mut openssl_truth = serde_json::Map::new();
    for (rel, why) in PYCA_CANNOT_OPEN {
        let pem = work
            .path()
            .join(format!("{}.openssl.pem", rel.replace('/', "_")));
        let out = StdCommand::new("openssl")
            .args([
                "pkcs12",
                "-legacy",
                "-nokeys",
                "-passin",
                "pass:password",
                "-in",
            ])
            .arg(corpus(rel))
            .arg("-out")
            .arg(&pem)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{rel} ({why}): openssl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        read_back.push(json!([format!("openssl:{rel}"), pem, Value::Null]));
        openssl_truth.insert(rel.to_owned(), Value::Null);
    }

    // chainsmith's output, read back by Python, against the truth.
    let got = python_json(READ_BACK, &json!(read_back));
    let mut compared = 0;
    for s in &seen {
        let rel = s.rel.as_str();
        let mine = &got[rel];
        let expected_certs = if openssl_truth.contains_key(rel) {
            got[format!("openssl:{rel}").as_str()]["certs"].clone()
        } else {
            truth[rel]["certs"].clone()
        };
        let expected_certs = if expected_certs.as_array().is_some_and(|c| c.is_empty()) {
            Value::Null // no certificate: chainsmith refused, nothing to read
        } else {
            expected_certs
        };
        assert_eq!(mine["certs"], expected_certs, "{rel}: certificates differ");
        if !DSA_KEYS.contains(&rel) {
            assert_eq!(mine["key"], truth[rel]["key"], "{rel}: key differs");
        }
        compared += 1;
    }
    assert_eq!(compared, 436);
    // Keep the helper honest: a key-holding file really was compared.
    assert!(!got["pyca/pkcs12/cert-key-aes256cbc.p12"]["key"].is_null());
}
