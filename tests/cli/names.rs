//! Certificate names and versions as other tools read them: the RFC 4514
//! `subject`/`issuer` of the JSON outputs against openssl's
//! `-nameopt RFC2253`, and a version field no X.509 version has.
use std::process::Command as StdCommand;

use serde_json::Value;

use crate::support::*;

const AT: &str = "2020-01-01T00:00:00Z";

fn python_cryptography() -> bool {
    if !have("python3") {
        return false;
    }
    let (ok, msg) = run(StdCommand::new("python3").args(["-c", "import cryptography"]));
    if !ok {
        cannot_run(&format!("python3 cannot import cryptography: {msg}"));
    }
    ok
}

/// pyca's `custom/invalid_version.pem` has version field 7. Go and Python
/// refuse it; chainsmith used to read it as a v8 certificate with only a
/// CS307 note. It is now an unreadable PEM block (CS102) naming the field.
#[test]
fn an_invalid_version_field_is_a_parse_finding() {
    let file = corpus("pyca/x509/custom-invalid_version.pem");
    let out = chainsmith()
        .args(["lint", "--format", "json", "--at", AT])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let cs102 = findings
        .iter()
        .find(|f| f["code"] == "CS102")
        .unwrap_or_else(|| panic!("no CS102: {findings:?}"));
    let message = cs102["message"].as_str().unwrap();
    assert!(
        message.contains("X.509 version field 7 is invalid"),
        "{message}"
    );
    assert_eq!(cs102["line"], 1);
    assert_eq!(doc["summary"]["certificates"], 0);
    assert!(
        findings.iter().all(|f| f["code"] != "CS307"),
        "the certificate is still linted: {findings:?}"
    );

    // The human output says the same, and inspect refuses the file (exit 2).
    let out = chainsmith().arg("lint").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error[CS102]"), "{text}");
    assert!(text.contains("version field 7"), "{text}");
    let out = chainsmith().arg("inspect").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("version field 7"));

    // Outside tools: openssl shows the field as "Unknown (7)"; Python's
    // cryptography refuses the certificate.
    if have("openssl") {
        let (ok, text) = openssl(
            &repo(),
            &["x509", "-noout", "-text", "-in", file.to_str().unwrap()],
        );
        assert!(ok, "{text}");
        assert!(text.contains("Version: Unknown (7)"), "{text}");
    }
    if python_cryptography() {
        let (ok, text) = run(StdCommand::new("python3")
            .arg("-c")
            .arg(
                "import sys\nfrom cryptography import x509\n\
             x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())",
            )
            .arg(&file));
        assert!(!ok, "Python cryptography read it: {text}");
        assert!(text.contains("InvalidVersion"), "{text}");
    }
}
