//! `issue`: rotation from CAs made by chainsmith and by openssl, checked with openssl.
use std::path::Path;

use predicates::prelude::*;

use crate::support::*;

fn serial(dir: &Path, file: &str) -> String {
    openssl_ok(dir, &["x509", "-in", file, "-noout", "-serial"])
}

fn subject_and_sans(dir: &Path, file: &str) -> (String, String) {
    let subj = openssl_ok(
        dir,
        &[
            "x509", "-in", file, "-noout", "-subject", "-nameopt", "RFC2253",
        ],
    );
    let san = openssl_ext(dir, file, "subjectAltName");
    (subj, san)
}

#[test]
fn renew_from_a_chainsmith_ca_verifies_against_the_original_root() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &[]);
    let out = tmp.path().join("renewed");
    issue_by_chain(&chain)
        .flag("--ca-chain", chain.join("ca-bundle.crt"))
        .renew(chain.join("server.crt"))
        .out(&out)
        .assert()
        .success();
    openssl_ok(
        tmp.path(),
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            "chain/root.crt",
            "-untrusted",
            "chain/intermediate.crt",
            "renewed/server.crt",
        ],
    );
    // The old bundle still trusts the renewed certificate.
    openssl_ok(
        tmp.path(),
        &[
            "verify",
            "-CAfile",
            "chain/ca-bundle.crt",
            "renewed/server.crt",
        ],
    );
    assert_eq!(
        subject_and_sans(&chain, "server.crt"),
        subject_and_sans(&out, "server.crt")
    );
    assert_ne!(serial(&chain, "server.crt"), serial(&out, "server.crt"));
    // The full chain is leaf then intermediate, without the root.
    let full = std::fs::read_to_string(out.join("server-fullchain.crt")).unwrap();
    assert_eq!(full.matches("BEGIN CERTIFICATE").count(), 2);
    openssl_ok(
        &out,
        &[
            "verify",
            "-CAfile",
            "../chain/root.crt",
            "-untrusted",
            "server-fullchain.crt",
            "server.crt",
        ],
    );
    // A new key, 0600, that matches the new certificate.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("server.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "server.key mode {mode:o}");
    }
    let k = openssl_ok(&out, &["pkey", "-in", "server.key", "-pubout"]);
    let c = openssl_ok(&out, &["x509", "-in", "server.crt", "-noout", "-pubkey"]);
    assert_eq!(k, c);
    let old = openssl_ok(&chain, &["pkey", "-in", "server.key", "-pubout"]);
    assert_ne!(k, old, "the renewal kept the old key");
}

#[test]
fn renew_from_an_openssl_ca_with_pkcs1_key() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    issue(fixture("openssl-ca/ca.crt"), fixture("openssl-ca/ca.key"))
        .renew(fixture("openssl-ca/old-leaf.crt"))
        .out(tmp.path())
        .assert()
        .success();
    openssl_ok(
        tmp.path(),
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            fixture("openssl-ca/ca.crt").to_str().unwrap(),
            "old-leaf.crt",
        ],
    );
    let fx = fixture("openssl-ca");
    assert_eq!(
        subject_and_sans(&fx, "old-leaf.crt"),
        subject_and_sans(tmp.path(), "old-leaf.crt")
    );
    let (_, t) = openssl(
        tmp.path(),
        &["x509", "-in", "old-leaf.crt", "-noout", "-text"],
    );
    assert!(
        t.contains("TLS Web Server Authentication") && t.contains("CA:FALSE"),
        "{t}"
    );
    assert!(
        t.contains("(2048 bit)"),
        "a new key is of the CA's type by default: {t}"
    );
}

#[test]
fn encrypted_pkcs8_ca_key_with_password_file() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let base = || {
        issue(
            fixture("openssl-ca/ca.crt"),
            fixture("openssl-ca/ca-pkcs8-encrypted.key"),
        )
        .san("new.example.com")
        .out(tmp.path())
    };
    // No password source and no terminal: a clear error, nothing written.
    base().assert().code(2).stderr(
        predicate::str::contains("encrypted")
            .and(predicate::str::contains("--ca-key-password-file")),
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    let wrong = tmp
        .path()
        .join("..")
        .join(format!("wrong-{}", std::process::id()));
    std::fs::write(&wrong, "nope").unwrap();
    base()
        .flag("--ca-key-password-file", &wrong)
        .refused("wrong password");
    let _ = std::fs::remove_file(&wrong);
    base()
        .flag("--ca-key-password-file", fixture("openssl-ca/password.txt"))
        .assert()
        .success();
    openssl_ok(
        tmp.path(),
        &[
            "verify",
            "-CAfile",
            fixture("openssl-ca/ca.crt").to_str().unwrap(),
            "server.crt",
        ],
    );
    // The password can also come from the environment or stdin.
    let tmp2 = tempfile::tempdir().unwrap();
    issue(
        fixture("openssl-ca/ca.crt"),
        fixture("openssl-ca/ca-pkcs8-encrypted.key"),
    )
    .san("env.example.com")
    .flag("--ca-key-password-env", "CA_PW")
    .out(tmp2.path())
    .env("CA_PW", "fixture-password")
    .assert()
    .success();
    let tmp3 = tempfile::tempdir().unwrap();
    issue(
        fixture("openssl-ca/ca.crt"),
        fixture("openssl-ca/ca-pkcs8-encrypted.key"),
    )
    .san("stdin.example.com")
    .arg("--ca-key-password-stdin")
    .out(tmp3.path())
    .write_stdin("fixture-password\n")
    .assert()
    .success();
}

#[test]
fn sec1_ec_ca_key_and_client_profile() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    issue(
        fixture("openssl-ca/ec-ca.crt"),
        fixture("openssl-ca/ec-ca.key"),
    )
    .args(["--profile", "client", "--cn", "gateway", "--name", "gw"])
    .out(tmp.path())
    .assert()
    .success();
    openssl_ok(
        tmp.path(),
        &[
            "verify",
            "-purpose",
            "sslclient",
            "-CAfile",
            fixture("openssl-ca/ec-ca.crt").to_str().unwrap(),
            "gw.crt",
        ],
    );
    let (_, t) = openssl(tmp.path(), &["x509", "-in", "gw.crt", "-noout", "-text"]);
    assert!(
        t.contains("TLS Web Client Authentication") && t.contains("CN = gateway"),
        "{t}"
    );
}

#[test]
fn keep_an_existing_key() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    issue(fixture("openssl-ca/ca.crt"), fixture("openssl-ca/ca.key"))
        .renew(fixture("openssl-ca/old-leaf.crt"))
        .key(fixture("openssl-ca/old-leaf.key"))
        .out(tmp.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("kept the existing key"));
    assert!(!tmp.path().join("old-leaf.key").exists());
    let new_pub = openssl_ok(
        tmp.path(),
        &["x509", "-in", "old-leaf.crt", "-noout", "-pubkey"],
    );
    let old_pub = openssl_ok(
        &fixture("openssl-ca"),
        &["x509", "-in", "old-leaf.crt", "-noout", "-pubkey"],
    );
    assert_eq!(new_pub, old_pub);
}

#[test]
fn intermediate_profile_respects_pathlen() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &["--pathlen", "1"]);
    let out = tmp.path().join("sub");
    issue_by_chain(&chain)
        .args(["--profile", "intermediate", "--cn", "Sub CA"])
        .out(&out)
        .assert()
        .success();
    let (_, t) = openssl(
        &out,
        &["x509", "-in", "intermediate.crt", "-noout", "-text"],
    );
    assert!(t.contains("CA:TRUE, pathlen:0"), "{t}");
    // A pathlen:0 CA may not issue another intermediate.
    issue_by_chain(&out)
        .args(["--profile", "intermediate", "--cn", "Too Deep"])
        .out(tmp.path().join("deeper"))
        .refused("pathLenConstraint is 0");
    assert!(!tmp.path().join("deeper").exists());
}

#[test]
fn wrong_ca_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    issue(fixture("intermediate.crt"), fixture("root.key"))
        .san("x.example.com")
        .out(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "does not match the CA certificate",
        ));
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn non_ca_issuer_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    issue(
        fixture("openssl-ca/not-a-ca.crt"),
        fixture("openssl-ca/not-a-ca.key"),
    )
    .san("x.example.com")
    .out(tmp.path())
    .refused("is not a CA");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn ca_without_keycertsign_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // The first certificate of this fixture is a leaf; the CA with keyUsage
    // cRLSign only is the second block, so extract it with openssl first.
    if !have("openssl") {
        return;
    }
    let pem = std::fs::read_to_string(fixture("ca-no-keycertsign.pem")).unwrap();
    let blocks: Vec<&str> = pem.split_inclusive("-----END CERTIFICATE-----\n").collect();
    let ca = tmp.path().join("bad-ku-ca.crt");
    std::fs::write(&ca, blocks[1]).unwrap();
    issue(&ca, fixture("root.key"))
        .san("x.example.com")
        .out(tmp.path().join("out"))
        .refused("keyCertSign");
}

#[test]
fn renew_of_a_certificate_from_another_ca_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    issue(fixture("intermediate.crt"), fixture("intermediate.key"))
        .renew(fixture("openssl-ca/old-leaf.crt"))
        .out(tmp.path())
        .refused("was not issued by");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn missing_ca_file_names_the_file() {
    issue("no/such/ca.crt", "no/such/ca.key")
        .san("x.example.com")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no/such/ca.crt").and(predicate::str::starts_with("error: ")),
        );
}

/// A missing key password names the flags of the command and the key at
/// hand: `--ca-key-password-*` for the CA key, `--password-*` for `issue
/// --key` and `lint --key`, and never the other command's flags.
#[test]
fn a_missing_key_password_names_this_commands_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let encrypted = fixture("openssl-ca/ca-pkcs8-encrypted.key");
    let pw = fixture("openssl-ca/password.txt");
    let out = issue(fixture("openssl-ca/ca.crt"), fixture("openssl-ca/ca.key"))
        .san("a.example.com")
        .key(&encrypted)
        .out(tmp.path())
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--password-file"), "{err}");
    assert!(!err.contains("--ca-key-password"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = lint()
        .key(&encrypted)
        .arg(fixture("openssl-ca/ca.crt"))
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--password-file"), "{err}");
    assert!(!err.contains("--ca-key-password"), "{err}");

    // Given the password, lint reads the same key and finds it matches
    // (no CS212); another key with the same certificate is CS212, so the
    // match was really checked.
    let lint_codes = |key: &Path, extra: &[&std::ffi::OsStr]| {
        let out = lint()
            .format("json")
            .at(AT)
            .key(key)
            .args(extra)
            .arg(fixture("openssl-ca/ca.crt"))
            .output();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
        (out.status.code(), codes(&v), err)
    };
    let (code, codes, err) = lint_codes(&encrypted, &["--password-file".as_ref(), pw.as_os_str()]);
    assert_eq!(code, Some(0), "{codes:?} {err}");
    assert!(!codes.iter().any(|c| c == "CS212"), "{codes:?}");
    assert!(err.is_empty(), "{err}");
    let (code, codes, err) = lint_codes(&fixture("openssl-ca/ec-ca.key"), &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(codes.iter().any(|c| c == "CS212"), "{codes:?}");
}

/// A bad `--at` is one usage error, printed once.
#[test]
fn a_bad_at_is_reported_once() {
    for cmd in ["lint", "inspect"] {
        let out = chainsmith()
            .args([cmd, "--at", "yesterday"])
            .arg(fixture("root.crt"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.matches("yesterday").count(), 1, "{err}");
    }
}
