//! Issuance options of `generate` and `issue`: validity by date or length,
//! signing an external CSR, and name-constrained intermediates. Dates are
//! read back with `openssl x509`; chains are judged by `openssl verify`,
//! Go's crypto/x509 and Python's `cryptography`.
use std::path::Path;

use predicates::prelude::*;

use crate::support::*;

/// `notBefore=…` and `notAfter=…` of a certificate, as openssl prints them.
fn dates(dir: &Path, file: &str) -> (String, String) {
    let out = openssl_ok(dir, &["x509", "-in", file, "-noout", "-dates"]);
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {out}"))
            .to_owned()
    };
    (field("notBefore="), field("notAfter="))
}

/// `chainsmith issue` from the chain's intermediate.
fn issue_from(chain: &Path) -> assert_cmd::Command {
    issue_by_chain(chain).command()
}

/// `chainsmith issue` from the chain's intermediate for the CSR `csr`, with
/// `flags`, written to `out`.
fn issue_csr(
    chain: &Path,
    csr: impl AsRef<std::ffi::OsStr>,
    flags: &[&str],
    out: impl AsRef<std::ffi::OsStr>,
) -> assert_cmd::Command {
    let mut cmd = issue_from(chain);
    cmd.arg("--csr").arg(csr).args(flags).arg("-o").arg(out);
    cmd
}

#[test]
fn issue_not_before_and_validity_give_the_dates_openssl_reads() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &["--not-before", "2029-01-01T00:00:00Z"]);
    for (flags, not_after) in [
        (&["--validity", "12h"][..], "Mar  1 12:00:00 2030 GMT"),
        (&["--validity", "3d"][..], "Mar  4 00:00:00 2030 GMT"),
        (&["--validity", "2w"][..], "Mar 15 00:00:00 2030 GMT"),
        (&["--validity", "1y"][..], "Mar  1 00:00:00 2031 GMT"),
        (&["--days", "10"][..], "Mar 11 00:00:00 2030 GMT"),
        (
            &["--not-after", "2030-06-30T23:59:59Z"][..],
            "Jun 30 23:59:59 2030 GMT",
        ),
    ] {
        let out = tmp.path().join(flags.join("_").replace(':', "-"));
        issue_from(&chain)
            .args([
                "--san",
                "api.example.com",
                "--not-before",
                "2030-03-01T00:00:00Z",
            ])
            .args(flags)
            .arg("-o")
            .arg(&out)
            .assert()
            .success()
            .stderr(predicate::str::contains("warning").not());
        assert_eq!(
            dates(&out, "server.crt"),
            ("Mar  1 00:00:00 2030 GMT".to_owned(), not_after.to_owned()),
            "{flags:?}"
        );
    }
}

#[test]
fn issue_past_the_ca_is_clamped_to_its_not_after_with_a_warning() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &[]);
    let ca_end = dates(&chain, "intermediate.crt").1;
    for (i, flags) in [
        &["--validity", "20y"][..],
        &["--not-after", "2099-01-01T00:00:00Z"][..],
    ]
    .into_iter()
    .enumerate()
    {
        let out = tmp.path().join(format!("out{i}"));
        issue_from(&chain)
            .args(["--san", "api.example.com"])
            .args(flags)
            .arg("-o")
            .arg(&out)
            .assert()
            .success()
            .stderr(predicate::str::contains("would outlive the CA; clamped"));
        assert_eq!(dates(&out, "server.crt").1, ca_end, "{flags:?}");
    }
}

#[test]
fn generate_dates_start_at_not_before_and_the_server_takes_the_length() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let chain = generate_chain(
        tmp.path(),
        &["--not-before", "2031-05-01T08:00:00Z", "--validity", "90d"],
    );
    let start = "May  1 08:00:00 2031 GMT".to_owned();
    for f in ["root.crt", "intermediate.crt", "server.crt"] {
        assert_eq!(dates(&chain, f).0, start, "{f}");
    }
    assert_eq!(dates(&chain, "server.crt").1, "Jul 30 08:00:00 2031 GMT");
    // The CAs keep their --root-days / --intermediate-days, from the same start.
    assert_eq!(dates(&chain, "root.crt").1, "Apr 28 08:00:00 2041 GMT");
    assert_eq!(
        dates(&chain, "intermediate.crt").1,
        "Apr 29 08:00:00 2036 GMT"
    );
    openssl_ok(
        &chain,
        &[
            "verify",
            "-attime",
            "1938038400", // 2031-06-01, within all three
            "-CAfile",
            "ca-bundle.crt",
            "server.crt",
        ],
    );
}

#[test]
fn generate_not_after_sets_the_server_end_and_is_clamped_to_the_intermediate() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &["--not-after", "2027-02-03T04:05:06Z"]);
    assert_eq!(dates(&chain, "server.crt").1, "Feb  3 04:05:06 2027 GMT");
    let out = tmp.path().join("clamped");
    chainsmith()
        .args([
            "generate",
            "--san",
            "a.example.com",
            "--intermediate-days",
            "30",
        ])
        .args(["--not-after", "2099-01-01T00:00:00Z", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "--not-after 2099-01-01T00:00:00Z would outlive the intermediate; clamped",
        ));
    assert_eq!(
        dates(&out, "server.crt").1,
        dates(&out, "intermediate.crt").1
    );
}

#[test]
fn bad_validity_values_are_one_usage_error_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let out = tmp.path().join("out");
    for (flags, says) in [
        (&["--validity", "0d"][..], "more than zero"),
        (&["--validity=-1d"][..], "whole number and a unit"),
        (&["--validity", "1.5d"][..], "whole number and a unit"),
        (&["--validity", "30m"][..], "whole number and a unit"),
        (&["--validity", "999999999y"][..], "longer than 10000 years"),
        (
            &["--validity", "99999999999999999999h"][..],
            "longer than 10000 years",
        ),
        (
            &["--validity", "2d", "--days", "3"][..],
            "cannot be used with",
        ),
        (
            &["--not-after", "2030-01-01T00:00:00Z", "--validity", "2d"][..],
            "cannot be used with",
        ),
        (&["--not-after", "2030-13-01T00:00:00Z"][..], "RFC 3339"),
        (
            &[
                "--not-before",
                "2030-03-01T00:00:00Z",
                "--not-after",
                "2030-02-01T00:00:00Z",
            ][..],
            "is not after notBefore",
        ),
    ] {
        for command in ["issue", "generate"] {
            let mut cmd = if command == "issue" {
                let mut c = issue_from(&chain);
                c.args(["--san", "api.example.com"]);
                c
            } else {
                let mut c = chainsmith();
                c.args(["generate", "--san", "api.example.com"]);
                c
            };
            let flags: Vec<&str> = flags
                .iter()
                .map(|f| {
                    if command == "generate" && *f == "--days" {
                        "--server-days"
                    } else {
                        f
                    }
                })
                .collect();
            cmd.args(&flags).arg("-o").arg(&out).refused(says);
            assert!(!out.exists(), "{command} {flags:?} wrote {out:?}");
        }
    }
}

/// A CSR made by `openssl req` in `dir`: `NAME.csr` (PEM, or DER with
/// `der`), asking for CA:TRUE and keyCertSign, which must never be copied.
fn openssl_csr(dir: &Path, name: &str, newkey: &[&str], subj: &str, san: &str, der: bool) {
    let csr = format!("{name}.csr");
    let key = format!("{name}.key");
    let mut args = vec!["req", "-new"];
    args.extend_from_slice(newkey);
    args.extend_from_slice(&["-nodes", "-keyout", &key, "-out", &csr, "-subj", subj]);
    let san = format!("subjectAltName={san}");
    args.extend_from_slice(&["-addext", &san]);
    args.extend_from_slice(&["-addext", "basicConstraints=critical,CA:TRUE"]);
    args.extend_from_slice(&["-addext", "keyUsage=keyCertSign"]);
    if der {
        args.extend_from_slice(&["-outform", "DER"]);
    }
    openssl_ok(dir, &args);
}

/// The public key of a certificate or (with `req`) a CSR, as openssl prints it.
fn pubkey(dir: &Path, file: &str, req: bool) -> String {
    let mut args = vec![
        if req { "req" } else { "x509" },
        "-in",
        file,
        "-noout",
        "-pubkey",
    ];
    if req && file.ends_with(".der") {
        args.extend_from_slice(&["-inform", "DER"]);
    }
    let (ok, out) = openssl(dir, &args);
    assert!(ok && out.contains("PUBLIC KEY"), "{out}");
    out
}

#[test]
fn csrs_from_openssl_req_are_signed_with_their_key_and_only_allowed_parts() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let dir = tmp.path();
    let chain = generate_chain(dir, &[]);
    let kinds: [(&str, &[&str], bool); 4] = [
        ("rsa", &["-newkey", "rsa:2048"], false),
        (
            "p256",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            false,
        ),
        ("ed25519", &["-newkey", "ed25519"], false),
        (
            "p256der",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            true,
        ),
    ];
    for (name, newkey, der) in kinds {
        openssl_csr(
            dir,
            name,
            newkey,
            "/CN=api.example.com/O=Requester Ltd",
            "DNS:api.example.com,DNS:*.svc.example.com,IP:10.1.2.3",
            der,
        );
        let csr = if der {
            std::fs::rename(
                dir.join(format!("{name}.csr")),
                dir.join(format!("{name}.der")),
            )
            .unwrap();
            format!("{name}.der")
        } else {
            format!("{name}.csr")
        };
        let out = dir.join(format!("out-{name}"));
        issue_csr(
            &chain,
            dir.join(&csr),
            &["--allow-san", "*.example.com", "--allow-san", "10.0.0.0/8"],
            &out,
        )
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "basicConstraints (2.5.29.19, critical) is not copied",
        ))
        .stderr(predicate::str::contains(
            "keyUsage (2.5.29.15) is not copied",
        ))
        .stderr(predicate::str::contains("organizationName=Requester Ltd"));
        let crt = format!("out-{name}/{name}.crt");
        let (ok, v) = openssl(
            dir,
            &[
                "verify",
                "-x509_strict",
                "-CAfile",
                "chain/ca-bundle.crt",
                &crt,
            ],
        );
        assert!(ok, "{name}: {v}");
        assert_eq!(pubkey(dir, &crt, false), pubkey(dir, &csr, true), "{name}");
        let san = openssl_ext(dir, &crt, "subjectAltName");
        for want in [
            "DNS:api.example.com",
            "DNS:*.svc.example.com",
            "IP Address:10.1.2.3",
        ] {
            assert!(san.contains(want), "{name}: {san}");
        }
        let bc = openssl_ext(dir, &crt, "basicConstraints");
        assert!(
            bc.contains("CA:FALSE") && !bc.contains("CA:TRUE"),
            "{name}: {bc}"
        );
        let ku = openssl_ext(dir, &crt, "keyUsage");
        assert!(
            ku.contains("Digital Signature") && !ku.contains("Certificate Sign"),
            "{name}: {ku}"
        );
        let (ok, subj) = openssl(dir, &["x509", "-in", &crt, "-noout", "-subject"]);
        assert!(
            ok && subj.contains("CN = api.example.com") && !subj.contains("Requester"),
            "{subj}"
        );
        assert!(
            !out.join(format!("{name}.key")).exists(),
            "{name}: a key was written"
        );
    }
}

#[test]
fn a_csr_san_outside_the_allow_list_is_refused_and_nothing_is_written() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let dir = tmp.path();
    let chain = generate_chain(dir, &[]);
    openssl_csr(
        dir,
        "req",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/CN=api.example.com",
        "DNS:api.example.com,DNS:evil.example.org",
        false,
    );
    let out = dir.join("out");
    for allow in [&[][..], &["--allow-san", "*.example.com"][..]] {
        issue_csr(&chain, dir.join("req.csr"), allow, &out).refused("evil.example.org");
        assert!(!out.exists());
    }
    // --san replaces what the CSR asks for, and says what it dropped.
    issue_csr(
        &chain,
        dir.join("req.csr"),
        &["--san", "api.example.com"],
        &out,
    )
    .assert()
    .success()
    .stderr(predicate::str::contains(
        "requested SAN `evil.example.org` is not copied",
    ));
    let san = openssl_ext(dir, "out/req.crt", "subjectAltName");
    assert!(
        san.contains("DNS:api.example.com") && !san.contains("evil"),
        "{san}"
    );
}

#[test]
fn a_csr_with_a_flipped_signature_byte_is_refused_in_one_line() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let dir = tmp.path();
    let chain = generate_chain(dir, &[]);
    for (name, newkey) in [
        ("rsa", &["-newkey", "rsa:2048"][..]),
        (
            "p256",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
        ),
        ("ed25519", &["-newkey", "ed25519"][..]),
    ] {
        openssl_csr(
            dir,
            name,
            newkey,
            "/CN=api.example.com",
            "DNS:api.example.com",
            true,
        );
        let path = dir.join(format!("{name}.csr"));
        let mut der = std::fs::read(&path).unwrap();
        let last = der.len() - 1;
        der[last] ^= 0x01;
        std::fs::write(&path, &der).unwrap();
        // openssl agrees the signature is bad.
        let (ok, v) = openssl(
            dir,
            &[
                "req",
                "-in",
                &format!("{name}.csr"),
                "-inform",
                "DER",
                "-verify",
                "-noout",
            ],
        );
        // (Some OpenSSL 3 releases exit 0 here, but say so.)
        assert!(
            !ok || v.contains("verify failure"),
            "{name}: openssl accepts the altered CSR: {v}"
        );
        let out = dir.join(format!("out-{name}"));
        let assert = issue_csr(&chain, &path, &["--allow-san", "api.example.com"], &out)
            .refused("signature does not verify");
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&format!("{name}.csr")), "{stderr}");
        assert!(!out.exists());
    }
}

const PYCA_CSR: &str = r#"
import sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
kind, out = sys.argv[1], sys.argv[2]
key = {"rsa": lambda: rsa.generate_private_key(65537, 2048),
       "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
       "ed25519": ed25519.Ed25519PrivateKey.generate}[kind]()
b = (x509.CertificateSigningRequestBuilder()
     .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app.example.com"),
                              x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Team")]))
     .add_extension(x509.SubjectAlternativeName([x509.DNSName("app.example.com"),
                                                 x509.RFC822Name("ops@example.com")]), critical=False)
     .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00"), critical=True))
csr = b.sign(key, None if kind == "ed25519" else hashes.SHA256())
open(out, "wb").write(csr.public_bytes(serialization.Encoding.PEM))
"#;

/// Is the certificate at `cert` issued by `ca` and does it carry the CSR's key? (pyca)
const PYCA_CHECK: &str = r#"
import sys
from cryptography import x509
cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
ca = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
csr = x509.load_pem_x509_csr(open(sys.argv[3], "rb").read())
cert.verify_directly_issued_by(ca)
assert cert.public_key() == csr.public_key(), "public keys differ"
oids = [e.oid.dotted_string for e in cert.extensions]
assert "1.3.6.1.4.1.55555.1" not in oids, oids
sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
assert [n.value for n in sans] == ["app.example.com"], list(sans)
print("ok")
"#;

#[test]
fn csrs_from_python_cryptography_are_signed_and_unknown_extensions_named() {
    if !have("openssl") || !have_pyca() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let chain = generate_chain(dir, &[]);
    for kind in ["rsa", "p256", "ed25519"] {
        let csr = dir.join(format!("{kind}.csr"));
        let (ok, out) = run(std::process::Command::new("python3")
            .args(["-c", PYCA_CSR, kind])
            .arg(&csr));
        assert!(ok, "{out}");
        let out = dir.join(format!("out-{kind}"));
        // An email SAN is never issued from a CSR: refused without --san.
        issue_csr(&chain, &csr, &["--allow-san", "*.example.com"], &out).refused("ops@example.com");
        issue_csr(&chain, &csr, &["--san", "app.example.com"], &out)
                        .assert()
            .success()
            .stderr(predicate::str::contains(
                "requested extension unknown extension (1.3.6.1.4.1.55555.1, critical) is not copied",
            ))
            .stderr(predicate::str::contains("requested SAN `RFC822Name(ops@example.com)` is not copied"));
        let (ok, v) = run(std::process::Command::new("python3")
            .args(["-c", PYCA_CHECK])
            .arg(out.join(format!("{kind}.crt")))
            .arg(chain.join("intermediate.crt"))
            .arg(&csr));
        assert!(ok && v.contains("ok"), "{kind}: {v}");
        let (ok, v) = openssl(
            dir,
            &[
                "verify",
                "-CAfile",
                "chain/ca-bundle.crt",
                &format!("out-{kind}/{kind}.crt"),
            ],
        );
        assert!(ok, "{kind}: {v}");
        // The same request with one signature bit flipped is refused.
        let bad = format!("{kind}-bad.der");
        openssl_ok(
            dir,
            &[
                "req",
                "-in",
                &format!("{kind}.csr"),
                "-outform",
                "DER",
                "-out",
                &bad,
            ],
        );
        let mut der = std::fs::read(dir.join(&bad)).unwrap();
        let last = der.len() - 1;
        der[last] ^= 0x80;
        std::fs::write(dir.join(&bad), der).unwrap();
        issue_csr(
            &chain,
            dir.join(&bad),
            &["--san", "app.example.com"],
            dir.join(format!("bad-{kind}")),
        )
        .refused("signature does not verify");
        assert!(!dir.join(format!("bad-{kind}")).exists());
    }
}

#[test]
fn csr_flags_that_cannot_go_together_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let csr = tmp.path().join("x.csr");
    std::fs::write(&csr, "not read").unwrap();
    for (flags, says) in [
        (vec!["--key", "k.key"], "cannot be used with"),
        (vec!["--key-type", "ed25519"], "cannot be used with"),
        (vec!["--encrypt-key"], "cannot be used with"),
        (vec!["--renew", "old.crt"], "cannot be used with"),
        (vec!["--password-env", "PW"], "cannot be used with"),
        (
            vec!["--allow-san", "10.0.0.1/8"],
            "bits are set past the prefix",
        ),
    ] {
        issue_from(&chain)
            .arg("--csr")
            .arg(&csr)
            .args(&flags)
            .refused(says);
    }
    issue_from(&chain)
        .args(["--san", "a.example.com", "--allow-san", "*.example.com"])
        .refused("--csr <FILE>");
    // Not a CSR at all: one line naming the file.
    issue_csr(&chain, &csr, &[], tmp.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "x.csr: not a certificate signing request",
        ));
}

/// Build tests/clients/goverify (Go crypto/x509's `Verify`) into `dir`.
fn build_goverify(dir: &Path) -> std::path::PathBuf {
    let bin = dir.join("goverify");
    let (ok, out) = run(std::process::Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&bin)
        .arg(repo().join("tests/clients/goverify/main.go")));
    assert!(ok, "go build: {out}");
    bin
}

/// A leaf for `san` made by openssl (not by chainsmith, which refuses names
/// outside its CA's constraints) and signed by the CA `ca` in `dir`.
fn openssl_leaf(dir: &Path, ca: &str, name: &str, san: &str) -> String {
    openssl_csr(
        dir,
        name,
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/CN=leaf",
        san,
        false,
    );
    openssl_sign_csr(
        dir,
        name,
        ca,
        ca,
        &["-CAcreateserial", "-days", "30", "-copy_extensions", "copy"],
    );
    let crt = format!("{name}.crt");
    crt
}

/// The lint codes of `files` (run in `dir`).
fn lint_codes(dir: &Path, files: &[&str]) -> Vec<String> {
    let out = chainsmith()
        .current_dir(dir)
        .args(["lint", "--no-config", "--format", "json"])
        .args(files)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    codes(&v)
}

#[test]
fn name_constrained_intermediates_are_enforced_by_openssl_go_and_lint() {
    let Some(tmp) = tempdir_with(&["openssl", "go"]) else {
        return;
    };
    let dir = tmp.path();
    let goverify = build_goverify(dir);
    let constraints = [
        "--permit-dns",
        "example.com",
        "--exclude-dns",
        "bad.example.com",
        "--permit-ip",
        "10.0.0.0/8",
        "--permit-email",
        "example.com",
    ];
    // 1. generate: the intermediate carries the constraints.
    let gen_dir = dir.join("gen");
    chainsmith()
        .args([
            "generate",
            "--san",
            "www.example.com",
            "--san",
            "10.0.0.7",
            "-o",
        ])
        .arg(&gen_dir)
        .args(constraints)
        .assert()
        .success();
    // 2. issue --profile intermediate: a second constrained CA, under the same root.
    issue(gen_dir.join("root.crt"), gen_dir.join("root.key"))
        .args([
            "--profile",
            "intermediate",
            "--cn",
            "Team CA",
            "--name",
            "team",
            "-o",
        ])
        .arg(&gen_dir)
        .args(constraints)
        .assert()
        .success();
    for ca in ["intermediate", "team"] {
        let nc = openssl_ext(&gen_dir, &format!("{ca}.crt"), "nameConstraints");
        assert!(nc.contains("critical"), "{ca}: {nc}");
        for want in [
            "DNS:example.com",
            "IP:10.0.0.0/255.0.0.0",
            "email:example.com",
            "DNS:bad.example.com",
        ] {
            assert!(nc.contains(want), "{ca}: {nc}");
        }
        for (leaf, san, inside) in [
            ("in", "DNS:api.example.com,IP:10.1.2.3", true),
            ("apex", "DNS:example.com", true),
            ("other", "DNS:www.example.org", false),
            ("excluded", "DNS:x.bad.example.com", false),
            ("ip", "DNS:api.example.com,IP:192.168.1.1", false),
        ] {
            let name = format!("{ca}-{leaf}");
            let crt = openssl_leaf(&gen_dir, ca, &name, san);
            let ca_crt = format!("{ca}.crt");
            let (ok, v) = openssl(
                &gen_dir,
                &["verify", "-CAfile", "root.crt", "-untrusted", &ca_crt, &crt],
            );
            assert_eq!(ok, inside, "openssl, {name} ({san}): {v}");
            if !inside {
                assert!(
                    v.contains("subtree violation") || v.contains("name constraint"),
                    "{v}"
                );
            }
            let (ok, v) = run(std::process::Command::new(&goverify)
                .current_dir(&gen_dir)
                .args(["root.crt", &ca_crt, &crt]));
            assert_eq!(ok, inside, "go, {name} ({san}): {v}");
            let served = format!("{name}-served.pem");
            let pem = std::fs::read_to_string(gen_dir.join(&crt)).unwrap()
                + &std::fs::read_to_string(gen_dir.join(&ca_crt)).unwrap();
            std::fs::write(gen_dir.join(&served), pem).unwrap();
            let codes = lint_codes(&gen_dir, &[&served]);
            assert_eq!(
                codes.contains(&"CS214".to_owned()),
                !inside,
                "lint, {name}: {codes:?}"
            );
        }
    }
    // chainsmith itself refuses to issue outside the constraints.
    issue(gen_dir.join("team.crt"), gen_dir.join("team.key"))
        .args(["--san", "www.example.org", "-o"])
        .arg(dir.join("refused"))
        .refused("nameConstraints forbid");
    assert!(!dir.join("refused").exists());
    // A leaf chainsmith issues inside them is accepted by both.
    issue(gen_dir.join("team.crt"), gen_dir.join("team.key"))
        .args(["--san", "ok.example.com", "--name", "ok", "-o"])
        .arg(&gen_dir)
        .assert()
        .success();
    openssl_ok(
        &gen_dir,
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            "root.crt",
            "-untrusted",
            "team.crt",
            "ok.crt",
        ],
    );
    let (ok, v) = run(std::process::Command::new(&goverify)
        .current_dir(&gen_dir)
        .args(["root.crt", "team.crt", "ok.crt"]));
    assert!(ok, "{v}");
}

#[test]
fn name_constraint_flags_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for (flags, says) in [
        (&["--permit-dns", "*.example.com"][..], "not a wildcard"),
        (
            &["--permit-ip", "10.0.0.1/8"][..],
            "bits are set past the prefix",
        ),
        (&["--exclude-ip", "10.0.0.0"][..], "no /LENGTH"),
        (&["--permit-email", "@example.com"][..], "not a mailbox"),
        (
            &["--permit-dns", "example.org"][..],
            "outside the intermediate's",
        ),
    ] {
        chainsmith()
            .args(["generate", "--san", "www.example.com", "-o"])
            .arg(&out)
            .args(flags)
            .refused(says);
        assert!(!out.exists(), "{flags:?}");
    }
    let chain = generate_chain(tmp.path(), &[]);
    issue_from(&chain)
        .args([
            "--san",
            "a.example.com",
            "--permit-dns",
            "example.com",
            "-o",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "use them with --profile intermediate",
        ));
}

#[test]
fn a_csr_signed_as_a_name_constrained_intermediate_keeps_its_key_and_its_limits() {
    // step's users sign an intermediate's CSR offline and limit it to some
    // domains (smallstep/cli#718): here in one command.
    let Some(tmp) = tempdir_with(&["openssl", "go"]) else {
        return;
    };
    let dir = tmp.path();
    let goverify = build_goverify(dir);
    let chain = generate_chain(dir, &[]);
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
    openssl_csr(
        dir,
        "team",
        &ec,
        "/CN=Team CA/O=Team",
        "DNS:team.example.com",
        false,
    );
    issue(chain.join("root.crt"), chain.join("root.key"))
        .arg("--csr")
        .arg(dir.join("team.csr"))
        .args(["--profile", "intermediate", "--cn", "Team CA"])
        .args(["--allow-san", "team.example.com"])
        .args(["--permit-dns", "team.example.com", "-o"])
        .arg(dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("organizationName=Team"))
        .stderr(predicate::str::contains(
            "basicConstraints (2.5.29.19, critical) is not copied",
        ));
    let bc = openssl_ext(dir, "team.crt", "basicConstraints");
    assert!(bc.contains("critical") && bc.contains("CA:TRUE"), "{bc}");
    let nc = openssl_ext(dir, "team.crt", "nameConstraints");
    assert!(
        nc.contains("critical") && nc.contains("DNS:team.example.com"),
        "{nc}"
    );
    assert_eq!(
        pubkey(dir, "team.crt", false),
        pubkey(dir, "team.csr", true)
    );
    // The requester's key (team.key, from openssl req) signs leaves under it.
    std::fs::copy(chain.join("root.crt"), dir.join("root.crt")).unwrap();
    for (leaf, san, inside) in [
        ("in", "DNS:a.team.example.com", true),
        ("out", "DNS:a.example.com", false),
    ] {
        let crt = openssl_leaf(dir, "team", leaf, san);
        let (ok, v) = openssl_verify(dir, "root.crt", "team.crt", &crt);
        assert_eq!(ok, inside, "openssl {san}: {v}");
        let (ok, v) = run(std::process::Command::new(&goverify)
            .current_dir(dir)
            .args(["root.crt", "team.crt", &crt]));
        assert_eq!(ok, inside, "go {san}: {v}");
    }
}

#[test]
fn a_csr_on_standard_input_is_named_after_the_profile() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let dir = tmp.path();
    let chain = generate_chain(dir, &[]);
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
    openssl_csr(
        dir,
        "req",
        &ec,
        "/CN=api.example.com",
        "DNS:api.example.com",
        false,
    );
    let out = dir.join("out");
    issue_from(&chain)
        .args(["--csr", "-", "--allow-san", "api.example.com", "-o"])
        .arg(&out)
        .pipe_stdin(dir.join("req.csr"))
        .unwrap()
        .assert()
        .success();
    assert_eq!(
        pubkey(dir, "out/server.crt", false),
        pubkey(dir, "req.csr", true)
    );
    issue_from(&chain)
        .args(["--csr", "-", "--ca-key-password-stdin", "-o"])
        .arg(&out)
        .refused("cannot both read standard input");
}

#[cfg(unix)]
#[test]
fn an_endless_csr_stops_at_the_input_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let out = tmp.path().join("out");
    issue_from(&chain)
        .args(["--csr", "/dev/zero", "--san", "a.example.com", "-o"])
        .arg(&out)
        .timeout(std::time::Duration::from_secs(60))
        .refused("/dev/zero")
        .stderr(predicate::str::contains("input limit"));
    assert!(!out.exists());
}

/// A `--password-*` flag on `issue` with nothing to open (`--key`) or to
/// encrypt (`--encrypt-key`) used to be read and dropped, writing a plain
/// key; it is now a usage error, and nothing is written.
#[test]
fn a_password_with_nothing_to_encrypt_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, "correct horse\n").unwrap();
    let out_dir = tmp.path().join("out");
    let out = issue_from(&chain)
        .args(["--san", "a.example.com", "-o"])
        .arg(&out_dir)
        .arg("--password-file")
        .arg(&pw)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--encrypt-key"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!out_dir.exists(), "nothing may be written");

    // With --encrypt-key the same password encrypts the new key: openssl
    // opens it only with that password.
    issue_from(&chain)
        .args(["--san", "a.example.com", "--encrypt-key", "-o"])
        .arg(&out_dir)
        .arg("--password-file")
        .arg(&pw)
        .assert()
        .success();
    let key = out_dir.join("server.key");
    openssl_ok(
        tmp.path(),
        &[
            "pkey",
            "-in",
            key.to_str().unwrap(),
            "-passin",
            "pass:correct horse",
            "-noout",
        ],
    );
    let (ok, _) = openssl(
        tmp.path(),
        &[
            "pkey",
            "-in",
            key.to_str().unwrap(),
            "-passin",
            "pass:wrong",
            "-noout",
        ],
    );
    assert!(!ok, "the key must not open with another password");
}

/// A CA two levels up constrains a leaf too: with `--ca-chain` holding a
/// name-constrained intermediate, `issue` from the unconstrained CA below
/// it refuses an out-of-tree name (openssl verify rejects that leaf) and
/// issues an in-tree one (openssl verify accepts it).
#[test]
fn name_constraints_above_the_issuing_ca_are_enforced() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let chain = generate_chain(d, &[]);
    // root → constrained (pathlen 1, example.com) → sub (no constraints)
    issue(chain.join("root.crt"), chain.join("root.key"))
        .args(["--profile", "intermediate", "--pathlen", "1"])
        .args(["--permit-dns", "example.com", "--cn", "Constrained CA"])
        .args(["--name", "constrained"])
        .out(d)
        .assert()
        .success();
    issue(d.join("constrained.crt"), d.join("constrained.key"))
        .args([
            "--profile",
            "intermediate",
            "--pathlen",
            "0",
            "--cn",
            "Sub CA",
        ])
        .args(["--name", "sub"])
        .out(d)
        .assert()
        .success();
    let above = d.join("above.pem");
    let text = [
        std::fs::read_to_string(d.join("constrained.crt")).unwrap(),
        std::fs::read_to_string(chain.join("root.crt")).unwrap(),
    ]
    .concat();
    std::fs::write(&above, text).unwrap();
    let leaf = |san: &str, name: &str| {
        issue(d.join("sub.crt"), d.join("sub.key"))
            .arg("--ca-chain")
            .arg(&above)
            .san(san)
            .args(["--name", name])
            .out(d)
            .output()
    };
    let out = leaf("www.example.org", "outside");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nameConstraints"), "{err}");
    assert!(!d.join("outside.crt").exists(), "nothing may be written");
    let out = leaf("www.example.com", "inside");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // openssl agrees on both names (the outside leaf made by openssl itself).
    let untrusted = d.join("untrusted.pem");
    let text = [
        std::fs::read_to_string(d.join("sub.crt")).unwrap(),
        std::fs::read_to_string(d.join("constrained.crt")).unwrap(),
    ]
    .concat();
    std::fs::write(&untrusted, text).unwrap();
    let root = chain.join("root.crt");
    let verify = |leaf: &Path| {
        openssl(
            d,
            &[
                "verify",
                "-CAfile",
                root.to_str().unwrap(),
                "-untrusted",
                untrusted.to_str().unwrap(),
                leaf.to_str().unwrap(),
            ],
        )
    };
    let (ok, text) = verify(&d.join("inside.crt"));
    assert!(ok, "{text}");
    openssl_p256_csr(d, "o.key", "o.csr", "/CN=www.example.org");
    std::fs::write(d.join("o.ext"), "subjectAltName=DNS:www.example.org\n").unwrap();
    openssl_sign_csr(d, "o", "sub", "sub", &["-days", "30", "-extfile", "o.ext"]);
    let (ok, text) = verify(&d.join("o.crt"));
    assert!(!ok, "openssl must reject the out-of-tree leaf: {text}");
}
