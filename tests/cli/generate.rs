//! `generate`, checked with openssl (a verifier nobody here wrote).
use std::path::Path;

use predicates::prelude::*;

use crate::support::*;

const KEY_TYPES: [&str; 6] = [
    "ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096",
];

fn text(dir: &Path, file: &str) -> String {
    let (ok, out) = openssl(dir, &["x509", "-in", file, "-noout", "-text"]);
    assert!(ok, "openssl cannot read {file}: {out}");
    out
}

/// The hex key id printed on the line after `label` in `openssl x509 -text`.
fn key_id(text: &str, label: &str) -> String {
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if l.contains(label) {
            return lines
                .next()
                .unwrap_or("")
                .trim()
                .trim_start_matches("keyid:")
                .to_owned();
        }
    }
    panic!("no {label} in:\n{text}");
}

fn check_chain_with_openssl(dir: &Path) {
    let (ok, out) = openssl(
        dir,
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            "root.crt",
            "-untrusted",
            "intermediate.crt",
            "server.crt",
        ],
    );
    assert!(
        ok && out.contains("server.crt: OK"),
        "openssl verify failed: {out}"
    );
    // The bundles are the same chain, in the right order.
    let (ok, out) = openssl(dir, &["verify", "-CAfile", "ca-bundle.crt", "server.crt"]);
    assert!(ok, "ca-bundle.crt does not verify server.crt: {out}");
    let (ok, out) = openssl_verify(dir, "root.crt", "server-fullchain.crt", "server.crt");
    assert!(
        ok,
        "server-fullchain.crt does not complete the chain: {out}"
    );

    let root = text(dir, "root.crt");
    let int = text(dir, "intermediate.crt");
    let server = text(dir, "server.crt");
    assert!(
        root.contains("CA:TRUE") && !root.contains("pathlen"),
        "root: {root}"
    );
    assert!(int.contains("CA:TRUE, pathlen:0"), "intermediate: {int}");
    for t in [&root, &int] {
        assert!(t.contains("X509v3 Basic Constraints: critical"));
        assert!(t.contains("Certificate Sign, CRL Sign"));
    }
    assert!(server.contains("CA:FALSE"));
    assert!(server.contains("TLS Web Server Authentication"));
    assert!(server.contains("DNS:www.example.com") && server.contains("IP Address:127.0.0.1"));
    assert!(server.contains("Subject: CN = www.example.com"));
    // AKI of each certificate equals its issuer's SKI.
    assert_eq!(
        key_id(&int, "Authority Key Identifier"),
        key_id(&root, "Subject Key Identifier")
    );
    assert_eq!(
        key_id(&server, "Authority Key Identifier"),
        key_id(&int, "Subject Key Identifier")
    );
    // The DER files are the same certificates.
    for (cer, crt) in [
        ("root.cer", "root.crt"),
        ("intermediate.cer", "intermediate.crt"),
    ] {
        let a = openssl_ok(
            dir,
            &[
                "x509",
                "-inform",
                "DER",
                "-in",
                cer,
                "-noout",
                "-fingerprint",
                "-sha256",
            ],
        );
        let b = openssl_ok(
            dir,
            &["x509", "-in", crt, "-noout", "-fingerprint", "-sha256"],
        );
        assert_eq!(a, b);
    }
    // Each key matches its certificate, and OpenSSL 3 reads it.
    for name in ["root", "intermediate", "server"] {
        let (ok, k) = openssl(dir, &["pkey", "-in", &format!("{name}.key"), "-pubout"]);
        assert!(ok, "openssl cannot read {name}.key: {k}");
        let (ok, c) = openssl(
            dir,
            &["x509", "-in", &format!("{name}.crt"), "-noout", "-pubkey"],
        );
        assert!(ok, "openssl cannot read {name}.crt: {c}");
        assert_eq!(k, c, "{name}.key does not match {name}.crt");
    }
}

#[test]
fn every_key_type_verifies_with_openssl() {
    if !have("openssl") {
        return;
    }
    for kt in KEY_TYPES {
        let tmp = tempfile::tempdir().unwrap();
        let dir = generate_chain(tmp.path(), &["--key-type", kt]);
        check_chain_with_openssl(&dir);
        let (_, t) = openssl(&dir, &["x509", "-in", "server.crt", "-noout", "-text"]);
        let expect = match kt {
            "ec-p256" => "prime256v1",
            "ec-p384" => "secp384r1",
            "ed25519" => "ED25519",
            "rsa-2048" => "(2048 bit)",
            "rsa-3072" => "(3072 bit)",
            _ => "(4096 bit)",
        };
        assert!(t.contains(expect), "{kt}: {t}");
    }
}

#[cfg(unix)]
#[test]
fn keys_are_0600_even_with_a_permissive_umask() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chain");
    // Run under `sh -c 'umask 000; ...'` so the process umask is permissive.
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" generate --san a.example.com -o \"$1\"")
        .arg(&bin)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    for f in ["root.key", "intermediate.key", "server.key"] {
        let mode = std::fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
    let mode = std::fs::metadata(out.join("root.crt"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o644);
}

#[test]
fn subject_options_and_validity_reach_the_certificates() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let dir = generate_chain(
        tmp.path(),
        &[
            "--org",
            "Example Ltd",
            "--country",
            "GB",
            "--root-cn",
            "Example Root",
            "--intermediate-cn",
            "Example Issuing CA",
            "--pathlen",
            "1",
            "--server-days",
            "30",
        ],
    );
    let root = text(&dir, "root.crt");
    assert!(
        root.contains("C = GB, O = Example Ltd, CN = Example Root"),
        "{root}"
    );
    let int = text(&dir, "intermediate.crt");
    assert!(int.contains("CA:TRUE, pathlen:1"));
    assert!(int.contains("Subject: C = GB, O = Example Ltd, CN = Example Issuing CA"));
    // openssl's own answer to "does server.crt expire within DAYS days?".
    let checkend = |days: u32| {
        openssl(
            &dir,
            &[
                "x509",
                "-in",
                "server.crt",
                "-noout",
                "-checkend",
                &(days * 86400).to_string(),
            ],
        )
    };
    let (_, dates) = checkend(31);
    assert!(
        dates.contains("will expire"),
        "30-day server should expire within 31 days: {dates}"
    );
    let (ok, _) = checkend(29);
    assert!(ok, "30-day server should not expire within 29 days");
}

#[test]
fn child_is_clamped_to_its_issuer_and_says_so() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let out = tmp.path().join("chain");
    chainsmith()
        .args([
            "generate",
            "--san",
            "a.example.com",
            "--root-days",
            "100",
            "--intermediate-days",
            "500",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("clamped"));
    let end = |f: &str| {
        let (ok, date) = openssl(&out, &["x509", "-in", f, "-noout", "-enddate"]);
        assert!(ok, "{f}: {date}");
        date
    };
    assert_eq!(end("root.crt"), end("intermediate.crt"));
}

#[test]
fn encrypted_keys_open_with_openssl_and_the_password() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, "s3cret-pass\n").unwrap();
    let dir = generate_chain(
        tmp.path(),
        &["--encrypt-keys", "--password-file", pw.to_str().unwrap()],
    );
    let key = std::fs::read_to_string(dir.join("server.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    openssl_ok(
        &dir,
        &[
            "pkey",
            "-in",
            "server.key",
            "-passin",
            "pass:s3cret-pass",
            "-noout",
        ],
    );
    let (ok, _) = openssl(
        &dir,
        &[
            "pkey",
            "-in",
            "server.key",
            "-passin",
            "pass:wrong",
            "-noout",
        ],
    );
    assert!(!ok, "a wrong password must not open the key");
    let (_, info) = openssl(&dir, &["asn1parse", "-in", "server.key"]);
    assert!(
        info.contains("PBES2") && info.contains("aes-256-cbc") && info.contains("hmacWithSHA256"),
        "{info}"
    );
}

#[test]
fn no_san_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    chainsmith()
        .current_dir(tmp.path())
        .args(["generate", "-o", "c"])
        .refused("--san");
    assert!(!tmp.path().join("c").exists());
}

#[test]
fn invalid_san_is_refused_and_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    chainsmith()
        .current_dir(tmp.path())
        .args(["generate", "--san", "bad name", "-o", "c"])
        .refused("invalid SAN `bad name`");
    assert!(!tmp.path().join("c").exists());
}

#[test]
fn existing_files_need_force_and_stay_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = generate_chain(tmp.path(), &[]);
    let before = std::fs::read(dir.join("root.key")).unwrap();
    generate()
        .san("www.example.com")
        .out(&dir)
        .refused("already exists; pass --force");
    assert_eq!(std::fs::read(dir.join("root.key")).unwrap(), before);
    generate()
        .san("www.example.com")
        .arg("--force")
        .out(&dir)
        .assert()
        .success();
    assert_ne!(std::fs::read(dir.join("root.key")).unwrap(), before);
    // No temporary files are left behind.
    let stray: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".chainsmith-"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn unwritable_output_path_fails_cleanly() {
    // The output "directory" sits below a regular file, so it cannot be
    // created whoever runs the test (root ignores permission bits).
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    generate()
        .san("a.example.com")
        .out(blocker.join("chain"))
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: ").and(predicate::str::contains("file")));
    assert_eq!(std::fs::read(&blocker).unwrap(), b"x");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn key_material_never_reaches_stdout_or_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chain");
    let assert = generate()
        .san("a.example.com")
        .arg("-v")
        .out(&out)
        .assert()
        .success();
    let o = assert.get_output();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    for k in ["root.key", "intermediate.key", "server.key"] {
        let key = std::fs::read_to_string(out.join(k)).unwrap();
        let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!all.contains(&body[..40]), "key material of {k} printed");
    }
    assert!(!all.contains("PRIVATE KEY-----"));
}

/// Run `chainsmith ARGS` on a pseudo-terminal (util-linux `script`), with
/// extra environment; returns everything the terminal showed.
fn on_a_terminal(args: &str, env: &[(&str, &str)]) -> Option<String> {
    if !have("script") {
        return None;
    }
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"]);
    cmd.env_remove("CI").env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn slow_key_generation_shows_a_spinner_only_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = |n: &str| tmp.path().join(n).display().to_string();
    let Some(tty) = on_a_terminal(
        &format!(
            "generate --key-type rsa-3072 --san a.example.com -o {}",
            dir("a")
        ),
        &[],
    ) else {
        return;
    };
    assert!(tty.contains("generating three RSA-3072 keys"), "{tty}");
    // Not in CI, not with --quiet, not into a pipe.
    let ci = on_a_terminal(
        &format!(
            "generate --key-type rsa-3072 --san a.example.com -o {}",
            dir("b")
        ),
        &[("CI", "true")],
    )
    .unwrap();
    assert!(!ci.contains("generating"), "{ci}");
    let quiet = on_a_terminal(
        &format!(
            "generate -q --key-type rsa-3072 --san a.example.com -o {}",
            dir("c")
        ),
        &[],
    )
    .unwrap();
    assert!(!quiet.contains("generating"), "{quiet}");
    chainsmith()
        .args([
            "generate",
            "--key-type",
            "rsa-3072",
            "--san",
            "a.example.com",
            "-o",
        ])
        .arg(dir("d"))
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
}
