//! Text from certificates and file names never reaches a terminal raw: no
//! escape sequence, carriage return, line break or bidi control, in any
//! output format; long values are cut. The hostile certificates are made by
//! Python `cryptography`, not by chainsmith.
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use serde_json::{Value, json};

use crate::support::*;

/// Makes one certificate from a JSON spec: subject attributes (NameOID
/// names), SANs, and an issuer (a CA certificate and key) or self-signed.
const MAKE_CERT: &str = r#"
import json, sys, datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
spec = json.loads(sys.argv[1])
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(getattr(NameOID, k), v) for k, v in spec["subject"]])
if spec.get("ca_cert"):
    ca = x509.load_pem_x509_certificate(open(spec["ca_cert"], "rb").read())
    ca_key = serialization.load_pem_private_key(open(spec["ca_key"], "rb").read(), None)
    issuer = ca.subject
else:
    ca_key, issuer = key, name
now = datetime.datetime.now(datetime.timezone.utc)
b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer)
     .public_key(key.public_key()).serial_number(x509.random_serial_number())
     .not_valid_before(now - datetime.timedelta(days=1))
     .not_valid_after(now + datetime.timedelta(days=3650)))
kinds = {"dns": x509.DNSName, "uri": x509.UniformResourceIdentifier, "email": x509.RFC822Name}
sans = [kinds[k](v) for k, v in spec.get("sans", [])]
if sans:
    b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
b = b.add_extension(x509.BasicConstraints(ca=spec.get("ca", False), path_length=None), critical=True)
open(spec["out"], "wb").write(b.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
"#;

fn make_cert(dir: &Path, spec: Value) -> PathBuf {
    let out = PathBuf::from(spec["out"].as_str().unwrap());
    let script = dir.join("make_cert.py");
    std::fs::write(&script, MAKE_CERT).unwrap();
    let (ok, msg) = run(StdCommand::new("python3")
        .arg(&script)
        .arg(spec.to_string()));
    assert!(ok, "{msg}");
    out
}

/// Characters that must never be printed raw: ESC, BEL, CR, C1 CSI, and
/// the bidi and invisible format controls.
const RAW: &[char] = &[
    '\u{1b}', '\u{07}', '\r', '\u{9b}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{FEFF}',
    '\u{2028}', '\u{2029}',
];

fn assert_clean(what: &str, bytes: &[u8]) {
    let text =
        String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| panic!("{what} is not UTF-8: {e}"));
    if let Some(c) = text.chars().find(|c| RAW.contains(c)) {
        panic!("{what} holds a raw {c:?}:\n{}", text.escape_debug());
    }
}

#[test]
fn issue_renew_prints_names_copied_from_the_old_certificate_escaped() {
    if !have_pyca() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let old = make_cert(
        tmp.path(),
        json!({
            "subject": [
                ["ORGANIZATION_NAME", "O\u{1b}[31mred\u{7}"],
                ["COMMON_NAME", "svc\u{202e}gpj.exe\u{1b}]0;pwn\u{7}"],
            ],
            "sans": [
                ["dns", "ok.example.com"],
                ["uri", "https://e\u{1b}[2J.example/x"],
                ["email", "a\u{1b}[5m@b.example\r\nwarning: forged"],
            ],
            "ca_cert": chain.join("intermediate.crt"),
            "ca_key": chain.join("intermediate.key"),
            "out": tmp.path().join("old.crt"),
        }),
    );
    let out = issue_by_chain(&chain)
        .renew(&old)
        .out(tmp.path().join("new"))
        .output();
    assert!(out.status.success(), "{out:?}");
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let issued = stdout.lines().next().unwrap();
    assert!(issued.starts_with("issued "), "{stdout}");
    assert!(
        issued.contains(r"CN=svc\u{202e}gpj.exe\u{1b}]0;pwn\u{7}"),
        "{issued}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "one line per SAN left out:\n{stderr}");
    assert!(warnings.iter().all(|l| l.starts_with("warning: ")));
    assert!(
        warnings[0].contains(r"https://e\u{1b}[2J.example/x"),
        "{stderr}"
    );
    assert!(
        warnings[1].contains(r"a\u{1b}[5m@b.example\r\nwarning: forged"),
        "{stderr}"
    );
}

/// `chainsmith lint --format FORMAT --expect EXPECT --at AT INPUTS...`.
fn lint_as(format: &str, expect: &str, inputs: &[&Path]) -> std::process::Output {
    chainsmith()
        .args(["lint", "--format", format, "--expect", expect, "--at", AT])
        .args(inputs)
        .output()
        .unwrap()
}

#[test]
fn lint_github_keeps_a_hostile_file_name_in_one_well_formed_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    let name = "bad\u{1b}[31m%0A,x:y\nz\r\u{202e}.pem";
    std::fs::copy(fixture("leaf-only-ca-bundle.pem"), dir.join(name)).unwrap();
    let missing = tmp.path().join("gone\u{1b}[2J,%.pem");

    let out = lint_as("github", "ca-bundle", &[&dir, &missing]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[2].starts_with("chainsmith: 1 errors"), "{stdout}");

    // GitHub's rules: `::error PROPS::DATA`, PROPS `k=v` joined by commas,
    // `%`, CR, LF escaped in both, `:` and `,` in properties too.
    let unescape = |v: &str| {
        v.replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%")
    };
    let props_of = |line: &str| -> Vec<(String, String)> {
        let rest = line
            .strip_prefix("::error ")
            .unwrap_or_else(|| panic!("{line}"));
        let (props, data) = rest.split_once("::").unwrap();
        assert!(!data.is_empty(), "{line}");
        props
            .split(',')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("{line}"));
                (k.to_owned(), unescape(v))
            })
            .collect()
    };
    let finding = props_of(lines[0]);
    let keys: Vec<&str> = finding.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["file", "line", "title"], "{}", lines[0]);
    assert_eq!(
        finding[0].1,
        format!(
            r"{}/bad\u{{1b}}[31m%0A,x:y\nz\r\u{{202e}}.pem",
            dir.display()
        )
    );
    assert_eq!(finding[1].1, "1");
    assert!(finding[2].1.starts_with("CS201 "), "{}", lines[0]);
    let unreadable = props_of(lines[1]);
    assert_eq!(
        unreadable[0].1,
        format!(r"{}/gone\u{{1b}}[2J,%.pem", tmp.path().display())
    );
    assert_eq!(unreadable[1], ("title".to_owned(), "unreadable".to_owned()));

    // Human output and the error line on stderr: escaped too.
    let out = chainsmith()
        .args(["lint", "--expect", "ca-bundle", "--at", AT])
        .arg(&dir)
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(r"bad\u{1b}[31m%0A,x:y\nz\r\u{202e}.pem:1"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(r"gone\u{1b}[2J,%.pem: cannot read"),
        "{stderr}"
    );

    // JSON and SARIF carry the real name, with no raw control in the bytes.
    for format in ["json", "sarif"] {
        let out = lint_as(format, "ca-bundle", &[&dir]);
        assert_eq!(out.status.code(), Some(1));
        assert_clean(format, &out.stdout);
        let text = String::from_utf8(out.stdout).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let real = dir.join(name).display().to_string();
        let found = if format == "json" {
            doc["files"][0]["path"].as_str().map(str::to_owned)
        } else {
            doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
                ["uri"]
                .as_str()
                .map(str::to_owned)
        };
        let found = found.unwrap_or_else(|| panic!("{text}"));
        if format == "json" {
            assert_eq!(found, real);
        } else {
            // A SARIF URI escapes `%`; the rest of the name is kept.
            assert!(
                found.ends_with("/bad\u{1b}[31m%250A,x:y\nz\r\u{202e}.pem"),
                "{found:?}"
            );
        }
    }
}

#[test]
fn inspect_escapes_a_right_to_left_override_and_cuts_long_values() {
    if !have_pyca() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let long_ou = "A".repeat(3000);
    let cert = make_cert(
        tmp.path(),
        json!({
            "subject": [
                ["ORGANIZATION_NAME", "\u{2066}isolated\u{2069} \u{feff}bom \u{200f}rlm"],
                ["COMMON_NAME", "invoice\u{202e}fdp.exe"],
                ["ORGANIZATIONAL_UNIT_NAME", long_ou],
            ],
            "sans": [["dns", "ok.example.com"]],
            "ca": true,
            "out": tmp.path().join("rlo.crt"),
        }),
    );

    let out = chainsmith()
        .args(["inspect", "--at", AT])
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_clean("inspect", &out.stdout);
    assert_clean("inspect stderr", &out.stderr);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(r"CN=invoice\u{202e}fdp.exe"), "{text}");
    assert!(text.contains(r"\u{2066}isolated\u{2069}"), "{text}");
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 400, "a {longest}-character line:\n{text}");
    assert!(text.contains('…'), "{text}");

    // JSON keeps the exact value: the controls are \u escapes, not raw.
    let out = chainsmith()
        .args(["inspect", "--format", "json", "--at", AT])
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_clean("inspect json", &out.stdout);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let subject = doc["chains"][0]["certificates"][0]["subject_display"]
        .as_str()
        .unwrap();
    assert!(subject.contains("CN=invoice\u{202e}fdp.exe"), "{subject}");
    assert!(subject.contains(&long_ou), "JSON is not cut");
    // `subject` is RFC 4514: U+202E as its UTF-8 bytes, \XX-escaped.
    let rfc4514 = doc["chains"][0]["certificates"][0]["subject"]
        .as_str()
        .unwrap();
    assert!(rfc4514.contains(r"CN=invoice\E2\80\AEfdp.exe"), "{rfc4514}");
    assert!(rfc4514.contains(&long_ou), "JSON is not cut");

    // Lint, every format.
    for format in ["human", "json", "sarif", "github"] {
        let out = lint_as(format, "server-chain", &[&cert]);
        assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
        assert_clean(format, &out.stdout);
        assert_clean(format, &out.stderr);
    }
}
