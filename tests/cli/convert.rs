//! `convert`, checked with openssl, keytool and Python's cryptography:
//! tools nobody here wrote.
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use crate::support::*;

const PASSWORD: &str = "correct horse";

fn password_file(dir: &Path) -> PathBuf {
    let p = dir.join("pfx.pass");
    std::fs::write(&p, format!("{PASSWORD}\n")).unwrap();
    p
}

/// Only the error line, and no file left behind in `dir` but `keep`.
fn assert_one_line_error(stderr: &[u8], needle: &str) {
    let err = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains(needle), "`{needle}` not in: {err}");
}

#[test]
fn der_files_are_read_by_openssl_and_byte_identical_to_its_der() {
    let Some(dir) = tempdir_with(&["openssl"]) else {
        return;
    };
    let out = dir.path().join("apim");
    convert("der")
        .arg(fixture("crlf-text.pem"))
        .arg(fixture("ca-bundle.pem"))
        .out(&out)
        .assert()
        .success();
    assert_eq!(
        files_in(&out),
        [
            "intermediate-Fixture-Intermediate-CA.cer",
            "leaf-www.example.com.cer",
            "root-Fixture-Root-CA.cer"
        ]
    );
    for (cer, pem) in [
        (
            "intermediate-Fixture-Intermediate-CA.cer",
            "intermediate.crt",
        ),
        ("leaf-www.example.com.cer", "server.crt"),
        ("root-Fixture-Root-CA.cer", "root.crt"),
    ] {
        let ours = std::fs::read(out.join(cer)).unwrap();
        // openssl reads it as DER and writes the same bytes back.
        let back = dir.path().join("back.der");
        let (ok, msg) = openssl(
            dir.path(),
            &[
                "x509",
                "-inform",
                "DER",
                "-in",
                out.join(cer).to_str().unwrap(),
                "-outform",
                "DER",
                "-out",
                "back.der",
            ],
        );
        assert!(ok, "openssl cannot read {cer}: {msg}");
        assert_eq!(std::fs::read(&back).unwrap(), ours, "{cer}");
        // ... and it is the DER openssl makes from the PEM source.
        openssl_ok(
            dir.path(),
            &[
                "x509",
                "-in",
                fixture(pem).to_str().unwrap(),
                "-outform",
                "DER",
                "-out",
                "ref.der",
            ],
        );
        assert_eq!(
            std::fs::read(dir.path().join("ref.der")).unwrap(),
            ours,
            "{cer}"
        );
    }
    assert_eq!(
        std::fs::read(out.join("root-Fixture-Root-CA.cer")).unwrap(),
        std::fs::read(fixture("root.der")).unwrap()
    );
}

#[test]
fn der_to_one_file_needs_one_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("root.cer");
    convert("der")
        .arg(fixture("root.crt"))
        .out(&one)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&one).unwrap(),
        std::fs::read(fixture("root.der")).unwrap()
    );
    let two = dir.path().join("bundle.cer");
    let out = convert("der")
        .arg(fixture("ca-bundle.pem"))
        .out(&two)
        .assert()
        .code(2);
    assert_one_line_error(&out.get_output().stderr, "bundle.cer");
    assert!(!two.exists());
    // Never clobbers without --force.
    convert("der")
        .arg(fixture("intermediate.crt"))
        .out(&one)
        .refused("--force");
    assert_eq!(
        std::fs::read(&one).unwrap(),
        std::fs::read(fixture("root.der")).unwrap()
    );
}

#[test]
fn pem_from_der_and_p7b_equals_the_openssl_sources() {
    let out = convert("pem")
        .arg(fixture("server-fullchain.p7b"))
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        std::fs::read_to_string(fixture("server-fullchain.pem")).unwrap()
    );
    let out = convert("pem")
        .arg(fixture("root.der"))
        .arg(fixture("intermediate.der"))
        .assert()
        .success();
    let want = std::fs::read_to_string(fixture("root.crt")).unwrap()
        + &std::fs::read_to_string(fixture("intermediate.crt")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.get_output().stdout), want);
}

/// A PFX of the fixture chain in `profile`, with the key and `--name api`.
fn make_pfx(dir: &Path, profile: &str) -> PathBuf {
    let pfx = dir.join(format!("{profile}.pfx"));
    convert("pfx")
        .args(["--profile", profile, "--name", "api"])
        .arg(fixture("server.crt"))
        .key(fixture("server.key"))
        .arg("--chain")
        .arg(fixture("ca-bundle.pem"))
        .flag("--password-file", password_file(dir))
        .out(&pfx)
        .assert()
        .success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&pfx).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    pfx
}

fn openssl_info(dir: &Path, pfx: &Path) -> String {
    let pass = format!("file:{}", password_file(dir).display());
    // No -legacy: OpenSSL 3's default provider must be enough.
    let (ok, out) = openssl(
        dir,
        &[
            "pkcs12",
            "-info",
            "-nodes",
            "-in",
            pfx.to_str().unwrap(),
            "-passin",
            &pass,
        ],
    );
    assert!(ok, "openssl pkcs12 cannot open {}: {out}", pfx.display());
    out
}

#[test]
fn compat_pfx_is_3des_with_a_sha1_mac_and_opens_without_legacy() {
    let Some(dir) = tempdir_with(&["openssl"]) else {
        return;
    };
    let pfx = make_pfx(dir.path(), "compat");
    let info = openssl_info(dir.path(), &pfx);
    assert!(info.contains("MAC: sha1, Iteration 2048"), "{info}");
    assert!(
        info.contains("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"),
        "{info}"
    );
    assert!(
        info.contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"),
        "{info}"
    );
    assert!(!info.contains("RC2") && !info.contains("AES"), "{info}");
    assert!(info.contains("friendlyName: api"), "{info}");
    assert_eq!(
        info.matches("-----BEGIN CERTIFICATE-----").count(),
        3,
        "{info}"
    );
    check_key_matches_server(dir.path(), &info);
}

#[test]
fn modern_pfx_is_aes_256_with_a_sha256_mac() {
    let Some(dir) = tempdir_with(&["openssl"]) else {
        return;
    };
    let pfx = make_pfx(dir.path(), "modern");
    let info = openssl_info(dir.path(), &pfx);
    assert!(info.contains("MAC: sha256"), "{info}");
    assert!(
        info.contains("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC"),
        "{info}"
    );
    assert!(
        info.contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"),
        "{info}"
    );
    assert!(
        !info.contains("3-KeyTripleDES") && !info.contains("RC2"),
        "{info}"
    );
    check_key_matches_server(dir.path(), &info);
}

/// The key openssl extracted is the fixture's key (same public key).
fn check_key_matches_server(dir: &Path, info: &str) {
    let start = info
        .find("-----BEGIN PRIVATE KEY-----")
        .expect("no key in the PFX");
    let end = info.find("-----END PRIVATE KEY-----").unwrap() + "-----END PRIVATE KEY-----\n".len();
    std::fs::write(dir.join("extracted.key"), &info[start..end]).unwrap();
    let pub_of = |key: &str| openssl_ok(dir, &["pkey", "-in", key, "-pubout"]);
    assert_eq!(
        pub_of("extracted.key"),
        pub_of(fixture("server.key").to_str().unwrap())
    );
}

#[test]
fn both_profiles_open_with_keytool_and_python_cryptography() {
    let dir = tempfile::tempdir().unwrap();
    for profile in ["compat", "modern"] {
        let pfx = make_pfx(dir.path(), profile);
        if have("keytool") {
            let pass = password_file(dir.path());
            let (ok, out) = run(StdCommand::new("keytool")
                .args(["-list", "-storetype", "PKCS12", "-keystore"])
                .arg(&pfx)
                .arg("-storepass:file")
                .arg(&pass));
            assert!(ok, "keytool cannot open the {profile} PFX: {out}");
            assert!(
                out.contains("api,") && out.contains("PrivateKeyEntry"),
                "{out}"
            );
        }
        if have("python3") {
            let script = "import sys\nfrom cryptography.hazmat.primitives.serialization import pkcs12\nk, c, extra = pkcs12.load_key_and_certificates(open(sys.argv[1], 'rb').read(), sys.argv[2].encode())\nassert k is not None\nprint(c.subject.rfc4514_string(), len(extra))\n";
            let (ok, out) = run(StdCommand::new("python3")
                .args(["-c", script])
                .arg(&pfx)
                .arg(PASSWORD));
            assert!(
                ok,
                "python cryptography cannot open the {profile} PFX: {out}"
            );
            assert!(
                out.contains("CN=www.example.com") && out.trim_end().ends_with(" 2"),
                "{out}"
            );
            let (ok, _) = run(StdCommand::new("python3")
                .args(["-c", script])
                .arg(&pfx)
                .arg("wrong"));
            assert!(!ok, "python opened the PFX with a wrong password");
        }
    }
}

#[test]
fn certificate_only_pfx_opens_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let pfx = dir.path().join("root.pfx");
    convert("pfx")
        .arg(fixture("root.crt"))
        .flag("--password-file", password_file(dir.path()))
        .out(&pfx)
        .assert()
        .success();
    if have("openssl") {
        let info = openssl_info(dir.path(), &pfx);
        assert_eq!(
            info.matches("-----BEGIN CERTIFICATE-----").count(),
            1,
            "{info}"
        );
        assert!(
            !info.contains("PRIVATE KEY") && !info.contains("Shrouded Keybag"),
            "{info}"
        );
        assert!(info.contains("pbeWithSHA1And3-KeyTripleDES-CBC"), "{info}");
    }
    if have("keytool") {
        let (ok, out) = run(StdCommand::new("keytool")
            .args(["-list", "-storetype", "PKCS12", "-keystore"])
            .arg(&pfx)
            .arg("-storepass:file")
            .arg(password_file(dir.path())));
        assert!(ok && out.contains("trustedCertEntry"), "{out}");
    }
}

#[test]
fn a_key_that_does_not_match_the_leaf_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pfx = dir.path().join("bad.pfx");
    let out = convert("pfx")
        .arg(fixture("server.crt"))
        .key(fixture("intermediate.key"))
        .flag("--password-file", password_file(dir.path()))
        .out(&pfx)
        .assert()
        .code(2);
    assert_one_line_error(&out.get_output().stderr, "intermediate.key");
    assert_eq!(files_in(dir.path()), ["pfx.pass"]);
}

#[test]
fn an_empty_password_needs_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let pfx = dir.path().join("open.pfx");
    // No password source and no TTY: refused.
    convert("pfx")
        .arg(fixture("server.crt"))
        .key(fixture("server.key"))
        .out(&pfx)
        .refused("--no-password");
    assert!(!pfx.exists());
    convert("pfx")
        .args(["--no-password"])
        .arg(fixture("server.crt"))
        .key(fixture("server.key"))
        .out(&pfx)
        .assert()
        .success();
    if have("openssl") {
        let (ok, out) = openssl(
            dir.path(),
            &[
                "pkcs12", "-info", "-nokeys", "-in", "open.pfx", "-passin", "pass:",
            ],
        );
        assert!(ok && out.contains("MAC: sha1"), "{out}");
    }
}

#[test]
fn openssl_made_pfx_converts_back_to_its_sources() {
    let Some(dir) = tempdir_with(&["openssl"]) else {
        return;
    };
    let pass = password_file(dir.path());
    for (name, legacy) in [("default.pfx", false), ("legacy.pfx", true)] {
        let extra: &[&str] = if legacy { &["-legacy"] } else { &[] };
        openssl_server_pfx(dir.path(), &format!("file:{}", pass.display()), name, extra);
        let pem = dir.path().join(format!("{name}.pem"));
        convert("pem")
            .args(["--with-key"])
            .arg(dir.path().join(name))
            .flag("--password-file", &pass)
            .out(&pem)
            .assert()
            .success();
        assert_eq!(
            std::fs::read_to_string(&pem).unwrap(),
            std::fs::read_to_string(fixture("server-fullchain.pem")).unwrap(),
            "{name}"
        );
        let key = pem.with_extension("key");
        assert_eq!(
            std::fs::read(&key).unwrap(),
            std::fs::read(fixture("server.key")).unwrap(),
            "{name}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}

#[test]
fn corpus_pkcs12_files_open_with_their_passwords() {
    // (file, password, certificates) from tests/corpus/README.md. Files
    // made without a password (pyca's `None`) use the zero-length form of
    // the empty password for their MAC and bags, not BMPString "\0\0".
    let cases = [
        ("pyca/pkcs12/cert-rc2-key-3des.p12", "cryptography", 1),
        ("pyca/pkcs12/cert-key-aes256cbc.p12", "cryptography", 1),
        ("pyca/pkcs12/cert-aes256cbc-no-key.p12", "cryptography", 1),
        ("pyca/pkcs12/cert-none-key-none.p12", "cryptography", 1),
        ("pyca/pkcs12/name-all-pwd.p12", "password", 3),
        ("pyca/pkcs12/name-unicode-pwd.p12", "password", 3),
        ("pyca/pkcs12/no-name-pwd.p12", "password", 3),
        ("pyca/pkcs12/no-cert-no-name-pwd.p12", "password", 2),
        ("pyca/pkcs12/java-truststore.p12", "", 2),
        ("pyca/pkcs12/no-password.p12", "", 1),
        ("pyca/pkcs12/name-all-no-pwd.p12", "", 3),
        ("pkits/ValidCertificatePathTest1EE.p12", "password", 1),
        ("certigo/example-leaf.p12", "password", 1),
        ("cfssl/helpers/passwordpkcs12.p12", "password", 1),
        ("cfssl/helpers/emptypasswordpkcs12.p12", "", 1),
        ("smallstep/nssdb-leaf.p12", "", 1),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (file, pw, n) in cases {
        let pass = dir.path().join("p");
        std::fs::write(&pass, pw).unwrap();
        let out = convert("pem")
            .arg(corpus(file))
            .flag("--password-file", &pass)
            .assert()
            .success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert_eq!(
            text.matches("-----BEGIN CERTIFICATE-----").count(),
            n,
            "{file}"
        );
        if file.starts_with("pyca/pkcs12/cert-") || file == "pyca/pkcs12/no-password.p12" {
            assert_eq!(
                text,
                std::fs::read_to_string(corpus("pyca/pkcs12/ca.pem")).unwrap(),
                "{file}"
            );
        }
        std::fs::write(&pass, "not the password").unwrap();
        let out = convert("pem")
            .arg(corpus(file))
            .flag("--password-file", &pass)
            .assert()
            .code(2);
        assert_one_line_error(&out.get_output().stderr, "wrong password");
        assert!(
            String::from_utf8_lossy(&out.get_output().stderr).contains(file),
            "{file}"
        );
    }
    // `--no-password` is the same empty password.
    let out = convert("pem")
        .args(["--no-password"])
        .arg(corpus("pyca/pkcs12/no-password.p12"))
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        std::fs::read_to_string(corpus("pyca/pkcs12/ca.pem")).unwrap()
    );
    // The key-only file: its key is the README's reference key, and so is
    // the key of the file made without a password.
    for (file, pw) in [
        ("pyca/pkcs12/no-cert-key-aes256cbc.p12", "cryptography"),
        ("pyca/pkcs12/no-password.p12", ""),
    ] {
        let pass = dir.path().join("p");
        std::fs::write(&pass, pw).unwrap();
        let key = dir.path().join("k.pem");
        convert("pem")
            .args(["--with-key", "--force", "--key-out"])
            .arg(&key)
            .out(dir.path().join("c.pem"))
            .flag("--password-file", &pass)
            .arg(corpus(file))
            .assert()
            .success();
        // The same key; no-password.p12 stores it with the curve inside the
        // SEC1 structure too, so openssl compares the public keys.
        if have("openssl") {
            let public = |p: &Path| {
                let (ok, out) =
                    openssl(dir.path(), &["pkey", "-pubout", "-in", p.to_str().unwrap()]);
                assert!(ok, "{out}");
                out
            };
            assert_eq!(
                public(&key),
                public(&corpus("pyca/pkcs12/ca_key.pem")),
                "{file}"
            );
        }
    }
}

#[test]
fn corrupt_and_empty_inputs_fail_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pfx = make_pfx(dir.path(), "compat");
    let bytes = std::fs::read(&pfx).unwrap();
    let corrupt = dir.path().join("corrupt.pfx");
    // The header survives, the middle is damaged.
    let mut damaged = bytes.clone();
    for b in damaged.iter_mut().skip(200).take(64) {
        *b ^= 0x5a;
    }
    std::fs::write(&corrupt, &damaged).unwrap();
    let truncated = dir.path().join("truncated.pfx");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let pass = password_file(dir.path());
    for (input, to) in [
        (corrupt.clone(), "pem"),
        (truncated.clone(), "der"),
        (fixture("empty.pem"), "pem"),
        (fixture("empty.pem"), "pfx"),
    ] {
        let out_path = dir.path().join("out-file");
        let out = convert(to)
            .arg(&input)
            .flag("--password-file", &pass)
            .out(&out_path)
            .assert()
            .code(2);
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        assert_one_line_error(&out.get_output().stderr, &name);
        assert!(!out_path.exists(), "{name}: something was written");
    }
}

#[test]
fn crafted_iteration_counts_are_refused_before_key_derivation() {
    let Some(dir) = tempdir_with(&["openssl"]) else {
        return;
    };
    let pass = password_file(dir.path());
    let passout = format!("file:{}", pass.display());
    openssl_certs_pfx(
        dir.path(),
        "root.crt",
        &passout,
        "slow.pfx",
        &["-certpbe", "AES-256-CBC", "-iter", "2100000"],
    );
    let started = std::time::Instant::now();
    let out = convert("pem")
        .arg(dir.path().join("slow.pfx"))
        .flag("--password-file", &pass)
        .assert()
        .code(2);
    assert_one_line_error(&out.get_output().stderr, "iterations");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn pfx_only_flags_are_refused_elsewhere() {
    convert("pem")
        .args(["--name", "x"])
        .arg(fixture("root.crt"))
        .refused("--name only applies to --to pfx");
}

#[test]
fn an_rc2_pfx_is_reencrypted_with_the_compat_profile() {
    let Some(dir) = tempdir_with(&["openssl"]) else {
        return;
    };
    let pass = password_file(dir.path());
    let passout = format!("file:{}", pass.display());
    openssl_server_pfx(dir.path(), &passout, "old.pfx", &["-legacy"]);
    // OpenSSL 3 refuses the RC2 file without -legacy...
    let (ok, _) = openssl(
        dir.path(),
        &[
            "pkcs12", "-info", "-nokeys", "-in", "old.pfx", "-passin", &passout,
        ],
    );
    assert!(!ok, "OpenSSL 3 opened an RC2 PFX without -legacy");
    convert("pfx")
        .arg(dir.path().join("old.pfx"))
        .flag("--password-file", &pass)
        .out(dir.path().join("new.pfx"))
        .assert()
        .success();
    // ... and opens the re-encrypted one without it, key included.
    let info = openssl_info(dir.path(), &dir.path().join("new.pfx"));
    assert!(
        info.contains("pbeWithSHA1And3-KeyTripleDES-CBC") && !info.contains("RC2"),
        "{info}"
    );
    assert_eq!(
        info.matches("-----BEGIN CERTIFICATE-----").count(),
        2,
        "{info}"
    );
    check_key_matches_server(dir.path(), &info);
}

#[test]
fn corpus_keys_come_out_as_pyca_wrote_them() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("p");
    std::fs::write(&pass, "cryptography").unwrap();
    for file in [
        "cert-key-aes256cbc",
        "cert-rc2-key-3des",
        "cert-none-key-none",
    ] {
        let pem = dir.path().join(format!("{file}.pem"));
        convert("pem")
            .args(["--with-key"])
            .arg(corpus(&format!("pyca/pkcs12/{file}.p12")))
            .flag("--password-file", &pass)
            .out(&pem)
            .assert()
            .success();
        assert_eq!(
            read_bytes(&pem),
            read_bytes(&corpus("pyca/pkcs12/ca.pem")),
            "{file}"
        );
        assert_eq!(
            read_bytes(&pem.with_extension("key")),
            read_bytes(&corpus("pyca/pkcs12/ca_key.pem")),
            "{file}"
        );
    }
    // A key-only PKCS#12 needs --with-key, which then writes the key to -o.
    let only = corpus("pyca/pkcs12/no-cert-key-aes256cbc.p12");
    convert("pem")
        .arg(&only)
        .flag("--password-file", &pass)
        .refused("no certificate");
    let key = dir.path().join("only.key");
    convert("pem")
        .args(["--with-key"])
        .arg(&only)
        .flag("--password-file", &pass)
        .out(&key)
        .assert()
        .success();
    assert_eq!(
        read_bytes(&key),
        read_bytes(&corpus("pyca/pkcs12/ca_key.pem"))
    );
}

fn read_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn generate_writes_server_pfx_only_with_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let pass = password_file(dir.path());
    let chain = generate_chain(
        dir.path(),
        &[
            "--password-file",
            pass.to_str().unwrap(),
            "--pfx-with-root",
            "--pfx-profile",
            "modern",
        ],
    );
    let pfx = chain.join("server.pfx");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&pfx).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    if have("openssl") {
        let info = openssl_info(dir.path(), &pfx);
        assert!(
            info.contains("PBES2, PBKDF2, AES-256-CBC") && info.contains("MAC: sha256"),
            "{info}"
        );
        assert_eq!(
            info.matches("-----BEGIN CERTIFICATE-----").count(),
            3,
            "{info}"
        );
        for name in [
            "subject=CN = www.example.com",
            "subject=CN = chainsmith Intermediate CA",
            "subject=CN = chainsmith Root CA",
        ] {
            assert!(info.contains(name), "{name} missing: {info}");
        }
        let start = info.find("-----BEGIN PRIVATE KEY-----").unwrap();
        let end =
            info.find("-----END PRIVATE KEY-----").unwrap() + "-----END PRIVATE KEY-----\n".len();
        std::fs::write(dir.path().join("pfx.key"), &info[start..end]).unwrap();
        let pub_of = |key: &Path| {
            openssl_ok(
                dir.path(),
                &["pkey", "-in", key.to_str().unwrap(), "-pubout"],
            )
        };
        assert_eq!(
            pub_of(&dir.path().join("pfx.key")),
            pub_of(&chain.join("server.key"))
        );
    }
    // Without a password there is no server.pfx, and PFX options are refused.
    let other = tempfile::tempdir().unwrap();
    let plain = generate_chain(other.path(), &[]);
    assert!(!plain.join("server.pfx").exists());
    chainsmith()
        .args([
            "generate",
            "--san",
            "a.example.com",
            "--pfx-with-root",
            "-o",
        ])
        .arg(other.path().join("x"))
        .refused("password");
    assert!(!other.path().join("x").exists());
}

#[test]
fn an_encrypted_key_is_opened_with_the_pfx_password() {
    let dir = tempfile::tempdir().unwrap();
    let pfx = dir.path().join("ca.pfx");
    convert("pfx")
        .arg(fixture("openssl-ca/ca.crt"))
        .key(fixture("openssl-ca/ca-pkcs8-encrypted.key"))
        .flag("--password-file", fixture("openssl-ca/password.txt"))
        .out(&pfx)
        .assert()
        .success();
    if have("openssl") {
        let pass = format!("file:{}", fixture("openssl-ca/password.txt").display());
        let (ok, out) = openssl(
            dir.path(),
            &[
                "pkcs12", "-info", "-nodes", "-in", "ca.pfx", "-passin", &pass,
            ],
        );
        assert!(ok && out.contains("BEGIN PRIVATE KEY"), "{out}");
    }
    let wrong = dir.path().join("wrong.pfx");
    let out = convert("pfx")
        .arg(fixture("openssl-ca/ca.crt"))
        .key(fixture("openssl-ca/ca-pkcs8-encrypted.key"))
        .flag("--password-file", password_file(dir.path()))
        .out(&wrong)
        .assert()
        .code(2);
    assert_one_line_error(&out.get_output().stderr, "ca-pkcs8-encrypted.key");
    assert!(!wrong.exists());
}

/// `-o /dev/null --force` must leave the device a device: an atomic writer
/// that renames a temporary file over its target would put a regular file
/// there (as root, for /dev/null itself, every later `> /dev/null` would
/// then fill it). Checked on a device node made in a temporary directory,
/// never on the real /dev/null; a named pipe gets the bytes and stays one.
#[test]
fn a_device_or_fifo_output_is_written_into_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("pipe");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    convert("pem")
        .args(["fixtures/server-fullchain.pem", "--force"])
        .out(&fifo)
        .assert()
        .success();
    let got = String::from_utf8(reader.join().unwrap()).unwrap();
    assert_eq!(
        got.matches("-----BEGIN CERTIFICATE-----").count(),
        2,
        "{got}"
    );
    assert_eq!(file_kind(&fifo), "fifo");

    if !is_root() {
        cannot_run("the device half needs root for mknod");
        return;
    }
    let null = d.join("null");
    assert!(
        StdCommand::new("mknod")
            .args(["-m", "666"])
            .arg(&null)
            .args(["c", "1", "3"])
            .status()
            .unwrap()
            .success()
    );
    // Without --force an existing device is refused like any existing file.
    convert("pem")
        .args(["fixtures/server-fullchain.pem", "-o"])
        .arg(&null)
        .assert()
        .code(2);
    for (to, input) in [
        ("pem", "fixtures/server-fullchain.pem"),
        ("der", "fixtures/server.crt"),
    ] {
        convert(to)
            .args([input, "--force", "-o"])
            .arg(&null)
            .assert()
            .success();
        assert_eq!(file_kind(&null), "character special file", "--to {to}");
    }
}

/// What `stat` calls the file at `path` ("regular file", "fifo", ...).
fn file_kind(path: &Path) -> String {
    let out = StdCommand::new("stat")
        .args(["-c", "%F"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
