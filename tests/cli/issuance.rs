//! Issuance options of `generate` and `issue`: validity by date or length,
//! signing an external CSR, and name-constrained intermediates. Dates are
//! read back with `openssl x509`; chains are judged by `openssl verify`,
//! Go's crypto/x509 and Python's `cryptography`.
use std::path::Path;

use predicates::prelude::*;

use crate::support::*;

/// `notBefore=…` and `notAfter=…` of a certificate, as openssl prints them.
fn dates(dir: &Path, file: &str) -> (String, String) {
    let (ok, out) = openssl(dir, &["x509", "-in", file, "-noout", "-dates"]);
    assert!(ok, "{out}");
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
    let mut cmd = chainsmith();
    cmd.arg("issue")
        .arg("--ca")
        .arg(chain.join("intermediate.crt"))
        .arg("--ca-key")
        .arg(chain.join("intermediate.key"));
    cmd
}

#[test]
fn issue_not_before_and_validity_give_the_dates_openssl_reads() {
    if !have("openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
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
    if !have("openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
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
    if !have("openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
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
    let (ok, v) = openssl(
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
    assert!(ok, "{v}");
}

#[test]
fn generate_not_after_sets_the_server_end_and_is_clamped_to_the_intermediate() {
    if !have("openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
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
            cmd.args(&flags)
                .arg("-o")
                .arg(&out)
                .assert()
                .code(2)
                .stderr(predicate::str::contains(says));
            assert!(!out.exists(), "{command} {flags:?} wrote {out:?}");
        }
    }
}
