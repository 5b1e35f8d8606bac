//! Every PFX chainsmith writes, opened by four consumers nobody here wrote:
//! OpenSSL (`pkcs12 -info`), Java (`keytool -list`), Python `cryptography`
//! (`pkcs12.load_pkcs12`) and GnuTLS (`certtool --p12-info`). The matrix is
//! {compat, modern} × {EC P-256, EC P-384, Ed25519, RSA-2048} × {with key,
//! certificate-only} × {generate's server.pfx, convert --to pfx}, plus
//! `convert --for appservice|keyvault` and the PFX inside `export apim`'s
//! Certificates API bodies. Each consumer must see the key (or no key) and
//! every certificate chainsmith put in.
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use super::support::{chainsmith, convert, have, keytool_list, run, tempdir_with};

const PASSWORD: &str = "consumers-Pa55";
const KEY_TYPES: [&str; 4] = ["ec-p256", "ec-p384", "ed25519", "rsa-2048"];
const PROFILES: [&str; 2] = ["compat", "modern"];

/// One PFX and what it must hold.
struct Made {
    path: PathBuf,
    keyed: bool,
    certs: usize,
    /// Written with the compat profile (3DES, HMAC-SHA1).
    compat: bool,
}

fn password_file(dir: &Path) -> PathBuf {
    let p = dir.join("pfx.pass");
    if !p.exists() {
        std::fs::write(&p, format!("{PASSWORD}\n")).unwrap();
    }
    p
}

/// `convert --to pfx ARGS` with the password file, written to `dir/name`.
fn convert_pfx(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    convert("pfx")
        .args(args)
        .flag("--password-file", password_file(dir))
        .out(&out)
        .assert()
        .success();
    out
}

/// Every PFX of the matrix, written into `dir`.
fn make_all(dir: &Path) -> Vec<Made> {
    let mut made = Vec::new();
    for kt in KEY_TYPES {
        for profile in PROFILES {
            let chain = dir.join(format!("{kt}-{profile}"));
            chainsmith()
                .args(["generate", "--san", "www.example.com", "--key-type", kt])
                .args(["--pfx-profile", profile, "--password-file"])
                .arg(password_file(dir))
                .arg("-o")
                .arg(&chain)
                .assert()
                .success();
            let s = |f: &str| chain.join(f).to_str().unwrap().to_owned();
            made.push(Made {
                path: chain.join("server.pfx"),
                keyed: true,
                certs: 2,
                compat: profile == "compat",
            });
            let keyed = convert_pfx(
                dir,
                &format!("{kt}-{profile}-key.pfx"),
                &[
                    "--profile",
                    profile,
                    &s("server.crt"),
                    "--key",
                    &s("server.key"),
                    "--chain",
                    &s("ca-bundle.crt"),
                ],
            );
            made.push(Made {
                path: keyed,
                keyed: true,
                certs: 3,
                compat: profile == "compat",
            });
            let only = convert_pfx(
                dir,
                &format!("{kt}-{profile}-certs.pfx"),
                &["--profile", profile, &s("ca-bundle.crt")],
            );
            made.push(Made {
                path: only,
                keyed: false,
                certs: 2,
                compat: profile == "compat",
            });
        }
    }
    made.extend(service_pfx(dir));
    made.extend(apim_pfx(dir));
    made
}

/// `--for appservice` and `--for keyvault` from an RSA chain.
fn service_pfx(dir: &Path) -> Vec<Made> {
    let chain = dir.join("rsa-2048-compat");
    let s = |f: &str| chain.join(f).to_str().unwrap().to_owned();
    ["appservice", "keyvault"]
        .into_iter()
        .map(|service| Made {
            path: convert_pfx(
                dir,
                &format!("{service}.pfx"),
                &[
                    "--for",
                    service,
                    &s("server.crt"),
                    "--key",
                    &s("server.key"),
                    "--chain",
                    &s("ca-bundle.crt"),
                ],
            ),
            keyed: true,
            certs: 3,
            compat: true,
        })
        .collect()
}

/// The certificate-only PFX files inside `export apim`'s Certificates API bodies.
fn apim_pfx(dir: &Path) -> Vec<Made> {
    use base64::Engine;
    let out = dir.join("apim");
    chainsmith()
        .args(["export", "apim", "--from"])
        .arg(dir.join("ec-p256-compat"))
        .arg("--password-file")
        .arg(password_file(dir))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let mut made = Vec::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("certificate-") && name.ends_with(".json")) {
            continue;
        }
        let body: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let data = body["properties"]["data"].as_str().unwrap();
        let pfx = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        let file = dir.join(name.replace(".json", ".pfx"));
        std::fs::write(&file, pfx).unwrap();
        made.push(Made {
            path: file,
            keyed: false,
            certs: 1,
            compat: true,
        });
    }
    assert_eq!(made.len(), 2, "export apim wrote a body per CA");
    made
}

fn check_openssl(m: &Made) {
    let pass = format!("pass:{PASSWORD}");
    let path = m.path.to_str().unwrap();
    // OpenSSL 3's default provider alone must do; -legacy must not hurt.
    let runs: &[&[&str]] = if m.compat {
        &[&[], &["-legacy"]]
    } else {
        &[&[]]
    };
    for extra in runs {
        let (ok, out) = run(StdCommand::new("openssl")
            .args(["pkcs12", "-info", "-nodes", "-passin", &pass, "-in", path])
            .args(*extra));
        assert!(ok, "openssl {extra:?} cannot open {path}: {out}");
        assert_eq!(
            out.matches("BEGIN CERTIFICATE").count(),
            m.certs,
            "{path}: {out}"
        );
        assert_eq!(out.contains("BEGIN PRIVATE KEY"), m.keyed, "{path}");
    }
}

fn check_certtool(m: &Made) {
    let path = m.path.to_str().unwrap();
    let (ok, out) = run(StdCommand::new("certtool").args([
        "--p12-info",
        "--inder",
        "--password",
        PASSWORD,
        "--infile",
        path,
    ]));
    assert!(ok, "certtool cannot open {path}: {out}");
    assert!(
        !out.contains("not available") && !out.contains("errors parsing"),
        "certtool stumbles on {path}: {out}"
    );
    assert_eq!(
        out.matches("Type: Certificate").count(),
        m.certs,
        "{path}: {out}"
    );
    assert_eq!(
        out.contains("PKCS #8 Encrypted key"),
        m.keyed,
        "{path}: {out}"
    );
}

fn check_keytool(m: &Made) {
    let path = m.path.to_str().unwrap();
    let (ok, out) = keytool_list(&m.path, PASSWORD);
    assert!(ok, "keytool cannot open {path}: {out}");
    if m.keyed {
        assert_eq!(out.matches("PrivateKeyEntry").count(), 1, "{path}: {out}");
    } else {
        assert_eq!(
            out.matches("trustedCertEntry").count(),
            m.certs,
            "{path}: {out}"
        );
    }
}

/// One Python process for every file: `path<TAB>certs<TAB>key` per line.
fn check_python(made: &[Made]) {
    let script = r#"
import sys
from cryptography.hazmat.primitives.serialization import pkcs12
for path in sys.argv[2:]:
    p = pkcs12.load_pkcs12(open(path, "rb").read(), sys.argv[1].encode())
    n = len(p.additional_certs) + (1 if p.cert is not None else 0)
    print(f"{path}\t{n}\t{p.key is not None}")
"#;
    let (ok, out) = run(StdCommand::new("python3")
        .arg("-c")
        .arg(script)
        .arg(PASSWORD)
        .args(made.iter().map(|m| &m.path)));
    assert!(ok, "python cryptography: {out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), made.len(), "{out}");
    for (m, line) in made.iter().zip(lines) {
        let want = format!(
            "{}\t{}\t{}",
            m.path.display(),
            m.certs,
            if m.keyed { "True" } else { "False" }
        );
        assert_eq!(line, want);
    }
}

#[test]
fn every_pfx_chainsmith_writes_opens_in_four_consumers() {
    let tools = ["openssl", "certtool", "keytool", "python3"];
    if !tools.iter().all(|t| have(t)) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let made = make_all(dir.path());
    assert_eq!(made.len(), KEY_TYPES.len() * PROFILES.len() * 3 + 4);
    for m in &made {
        check_openssl(m);
        check_certtool(m);
    }
    check_python(&made);
    // One JVM per file: run them two at a time.
    std::thread::scope(|s| {
        for half in made.chunks(made.len().div_ceil(2)) {
            s.spawn(move || half.iter().for_each(check_keytool));
        }
    });
}

#[test]
fn certtool_reads_a_certificate_only_pfx_of_either_password_kind() {
    // The regression of issue 18: p12-keystore's empty key safe (`30 00`)
    // stopped GnuTLS at BAG #1 in every certificate-only PFX.
    let Some(dir) = tempdir_with(&["certtool"]) else {
        return;
    };
    let chain = super::support::generate_chain(dir.path(), &[]);
    for profile in PROFILES {
        let out = dir.path().join(format!("{profile}.pfx"));
        convert("pfx")
            .args(["--no-password", "--profile", profile])
            .arg(chain.join("root.crt"))
            .out(&out)
            .assert()
            .success();
        let (ok, text) = run(StdCommand::new("certtool")
            .args(["--p12-info", "--inder", "--empty-password", "--infile"])
            .arg(&out));
        assert!(ok && !text.contains("not available"), "{profile}: {text}");
        assert_eq!(
            text.matches("BAG #").count(),
            1,
            "{profile}: one safe: {text}"
        );
        assert_eq!(text.matches("Type: Certificate").count(), 1, "{text}");
    }
}
