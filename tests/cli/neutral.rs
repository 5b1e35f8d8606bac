//! A hint that names a flag comes from the command that owns the flag, and
//! only where that flag would help: a PKCS#12 file given to a flag that
//! takes no password is pointed at `convert --to pem`, not at `--password-*`
//! (which would not open it); a DNS name constraint that is an IP address
//! is pointed at `--permit-ip` under `--permit-dns`, not under
//! `--permit-email`.
use crate::support::*;

/// `root.crt` and `root.key` of a generated chain, wrapped by openssl into
/// `root.p12` (password `pw`), the way a CA often reaches its users.
fn root_p12(dir: &std::path::Path) -> std::path::PathBuf {
    let chain = generate_chain(dir, &[]);
    openssl_ok(
        dir,
        &[
            "pkcs12",
            "-export",
            "-in",
            "chain/root.crt",
            "-inkey",
            "chain/root.key",
            "-out",
            "root.p12",
            "-passout",
            "pass:pw",
        ],
    );
    chain
}

fn one_line_error(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

#[test]
fn a_pkcs12_where_no_password_is_taken_points_at_convert() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let d = tmp.path();
    let chain = root_p12(d);
    let issued = issue("root.p12", chain.join("root.key"))
        .san("api.example.com")
        .out("leaf")
        .current_dir(d)
        .output();
    let rotated = chainsmith()
        .current_dir(d)
        .args([
            "rotate",
            "root",
            "--ca",
            "root.p12",
            "--ca-key",
            "chain/root.key",
        ])
        .args(["--intermediate", "chain/intermediate.crt"])
        .args(["--leaf", "chain/server.crt", "-o", "rotated"])
        .output()
        .unwrap();
    for (out, what) in [(issued, "the issuing CA"), (rotated, "the current CA")] {
        let err = one_line_error(&out);
        assert!(
            err.contains(&format!(
                "root.p12: no certificate found ({what}): a PKCS#12 file"
            )) && err.contains("chainsmith convert --to pem"),
            "{err}"
        );
        assert!(!err.contains("--password"), "{err}");
    }
    assert!(!d.join("leaf").exists() && !d.join("rotated").exists());

    // The hint works: the PEM that convert takes out of the PKCS#12 is a CA
    // that issue accepts, and openssl verifies what it issued.
    chainsmith()
        .current_dir(d)
        .args(["convert", "--to", "pem", "root.p12", "-o", "root.pem"])
        .args(["--password-env", "P12_PASSWORD"])
        .env("P12_PASSWORD", "pw")
        .assert()
        .success();
    issue("root.pem", chain.join("root.key"))
        .san("api.example.com")
        .out("leaf")
        .current_dir(d)
        .assert()
        .success();
    let (ok, text) = openssl(d, &["verify", "-CAfile", "root.pem", "leaf/server.crt"]);
    assert!(ok, "{text}");
}

#[test]
fn an_ip_address_as_a_dns_constraint_is_pointed_at_permit_ip_only_there() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let run = |flag: &str, value: &str| {
        issue(chain.join("root.crt"), chain.join("root.key"))
            .args(["--profile", "intermediate", "--cn", "Sub CA"])
            .flag(flag, value)
            .out(tmp.path().join("sub"))
            .output()
    };
    let dns = one_line_error_or_usage(&run("--permit-dns", "10.0.0.1"));
    assert!(
        dns.contains("an IP address, not a domain") && dns.contains("--permit-ip"),
        "{dns}"
    );
    let email = one_line_error_or_usage(&run("--permit-email", "user@10.0.0.1"));
    assert!(email.contains("an IP address, not a domain"), "{email}");
    assert!(!email.contains("--permit-ip"), "{email}");
    assert!(!tmp.path().join("sub").exists());
}

/// clap's usage errors add a "For more information" line; the reason is the
/// first line.
fn one_line_error_or_usage(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    err.lines().next().unwrap_or_default().to_owned()
}
