//! Regression tests for the ten causes of disagreement between chainsmith
//! and real clients (issue 15). The certificates come from
//! tests/clients/scenarios.py (pyca/cryptography), never from chainsmith;
//! what each real client does with them is measured by tests/cli/clients.rs
//! and tabled in docs/clients.md.
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::*;

/// The scenarios, generated once per test run (None when python3 or its
/// cryptography package is missing: a loud skip, or a failure under CI).
fn scenarios() -> Option<&'static Path> {
    static DIR: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    DIR.get_or_init(|| {
        if !have("python3") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("python3")
            .arg(repo().join("tests/clients/scenarios.py"))
            .arg(dir.path())
            .output()
            .unwrap();
        if !out.status.success() {
            cannot_run(&format!(
                "tests/clients/scenarios.py failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            return None;
        }
        Some(dir)
    })
    .as_ref()
    .map(|d| d.path())
}

/// The directory of the scenario whose id ends with `name`.
fn scenario(name: &str) -> Option<PathBuf> {
    let base = scenarios()?;
    let found = std::fs::read_dir(base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.split_once('-').is_some_and(|(_, rest)| rest == name))
        });
    Some(found.unwrap_or_else(|| panic!("no scenario {name}")))
}

/// `lint --format json` of a scenario's served chain; `trust` adds its
/// trust.pem and host.
fn lint(dir: &Path, trust: bool, extra: &[&str]) -> (i32, Value) {
    let mut cmd = crate::support::lint()
        .format("json")
        .flag("--expect", "server-chain");
    if trust {
        let meta: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("scenario.json")).unwrap())
                .unwrap();
        cmd = cmd
            .flag("--trust", dir.join("trust.pem"))
            .flag("--host", meta["host"].as_str().unwrap());
    }
    let out = cmd.args(extra).arg(dir.join("served.pem")).output();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

/// The first finding with `code`; the test fails without one.
fn finding<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {v}"))
}

fn client(v: &Value, name: &str) -> bool {
    v["files"][0]["trust"]["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"] == name)
        .unwrap_or_else(|| panic!("no verdict for {name}: {v}"))["trusted"]
        .as_bool()
        .unwrap()
}

/// Cause 4: an intermediate whose EKU excludes serverAuth got no finding
/// and "trusted". Now CS316 fires without --trust, and with it every
/// client but Java rejects the chain.
#[test]
fn intermediate_eku_without_server_auth_is_an_error_and_untrusted() {
    let Some(bad) = scenario("int-eku-clientauth-only") else {
        return;
    };
    let (code, v) = lint(&bad, false, &[]);
    assert!(codes(&v).contains(&"CS316".to_owned()), "{v}");
    assert_eq!(code, 1);
    let (_, v) = lint(&bad, true, &[]);
    assert_eq!(v["files"][0]["trust"]["trusted"], false);
    assert!(client(&v, "java") && !client(&v, "openssl") && !client(&v, "go"));
    let good = scenario("int-eku-serverauth").unwrap();
    let (_, v) = lint(&good, false, &[]);
    assert!(!codes(&v).contains(&"CS316".to_owned()), "{v}");
}

/// Cause 5: a clientAuth-only leaf was a CS310 warning; every TLS client
/// rejects it, so it is an error now (exit 1 with the default --fail-on).
#[test]
fn a_client_auth_only_leaf_is_an_error() {
    let Some(dir) = scenario("leaf-eku-clientauth-only") else {
        return;
    };
    let (code, v) = lint(&dir, false, &[]);
    let f = finding(&v, "CS310");
    assert_eq!(f["severity"], "error");
    assert_eq!(code, 1);
}

/// Causes 7 and 8: AKI ≠ issuer SKI breaks OpenSSL's path (and so curl's
/// and nginx's), not Go's or Java's; a chain with no key identifiers, or a
/// v1 root, fails only in strict mode, and the verdict names only that
/// client.
#[test]
fn key_identifier_verdicts_name_the_clients_that_reject() {
    let Some(aki) = scenario("aki-mismatch") else {
        return;
    };
    let (_, v) = lint(&aki, true, &[]);
    assert!(!client(&v, "openssl") && !client(&v, "curl") && !client(&v, "nginx"));
    assert!(client(&v, "go") && client(&v, "java"));
    for name in ["no-aki-ski", "v1-root"] {
        let (_, v) = lint(&scenario(name).unwrap(), true, &[]);
        let rejecting: Vec<&str> = v["files"][0]["trust"]["clients"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["trusted"] == false)
            .map(|c| c["client"].as_str().unwrap())
            .collect();
        assert_eq!(rejecting, ["openssl-strict"], "{name}: {v}");
        let cs213 = finding(&v, "CS213");
        let msg = cs213["message"].as_str().unwrap();
        assert!(msg.contains("openssl-strict"), "{msg}");
        assert!(!msg.contains("go"), "{msg}");
    }
}

/// Causes 9 and 10: a CN-only leaf and a SHA-1 leaf are no longer
/// "trusted" beside their errors; the verdict says which clients accept.
#[test]
fn cn_only_and_sha1_leaves_are_trusted_only_by_the_clients_that_accept_them() {
    let Some(cn) = scenario("cn-only-leaf") else {
        return;
    };
    let (_, v) = lint(&cn, true, &[]);
    assert_eq!(v["files"][0]["trust"]["trusted"], false);
    assert!(!client(&v, "go") && client(&v, "curl") && client(&v, "openssl"));
    let cs309 = finding(&v, "CS309");
    let (_, rules) = {
        let out = chainsmith()
            .args(["rules", "CS309", "--format", "json"])
            .output()
            .unwrap();
        (0, serde_json::from_slice::<Value>(&out.stdout).unwrap())
    };
    let text = rules.to_string();
    assert!(text.contains("Go") && text.contains("fall back"), "{text}");
    assert!(cs309["severity"] == "error");
    let (_, v) = lint(&scenario("sha1-leaf").unwrap(), true, &[]);
    assert_eq!(v["files"][0]["trust"]["trusted"], false);
    assert!(client(&v, "java") && !client(&v, "openssl") && !client(&v, "go"));
}

/// Cause 1: a served leaf → intermediate → new root cross-signed by the old
/// root, the client trusting the new root. CS204 claimed the chain was
/// incomplete while every real client accepts it.
#[test]
fn a_cross_certificate_of_a_trusted_root_needs_no_issuer() {
    let Some(dir) = scenario("cross-trust-new-root") else {
        return;
    };
    let (code, v) = lint(&dir, true, &[]);
    assert!(!codes(&v).contains(&"CS204".to_owned()), "{v}");
    assert_eq!(v["files"][0]["trust"]["trusted"], true, "{v}");
    assert_eq!(code, 0, "{v}");
    // Without --trust the old root's absence is a real gap: CS204 stays
    // quiet only for the last CA of a served chain, as before.
    let (_, v) = lint(&dir, false, &[]);
    assert!(!codes(&v).contains(&"CS213".to_owned()));
}

/// Cause 2: an end-entity with CA:TRUE was counted against its issuer's
/// pathLenConstraint; RFC 5280 counts only intermediates. A real pathLen
/// violation still fires.
#[test]
fn path_length_counts_intermediates_not_the_end_entity() {
    let Some(ca_leaf) = scenario("leaf-ca-true") else {
        return;
    };
    let (_, v) = lint(&ca_leaf, false, &[]);
    assert!(!codes(&v).contains(&"CS209".to_owned()), "{v}");
    let (_, v) = lint(&scenario("pathlen0-violated").unwrap(), false, &[]);
    assert!(codes(&v).contains(&"CS209".to_owned()), "{v}");
}

/// Cause 3: a self-issued rollover certificate (old-with-new: same name,
/// signed by the old key) was reported as a bad self-signature.
#[test]
fn a_rollover_certificate_is_not_a_bad_signature() {
    let Some(dir) = scenario("rollover-trust-new-root") else {
        return;
    };
    for trust in [false, true] {
        let (_, v) = lint(&dir, trust, &[]);
        assert!(!codes(&v).contains(&"CS206".to_owned()), "{v}");
    }
    let (_, v) = lint(&scenario("rollover-trust-old-root").unwrap(), false, &[]);
    assert!(!codes(&v).contains(&"CS206".to_owned()), "{v}");
}

/// Cause 6: a name-constraints violation inside one file was reported only
/// with --trust; a pathLen violation was reported without it. Now CS214
/// fires from the file alone, and not for names inside the constraints.
#[test]
fn name_constraints_are_checked_within_the_file() {
    let Some(bad) = scenario("name-constraints-violated") else {
        return;
    };
    let (code, v) = lint(&bad, false, &[]);
    let f = finding(&v, "CS214");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("outside the permitted subtrees"),
        "{f}"
    );
    assert_eq!(code, 1);
    let (_, v) = lint(&scenario("name-constraints-satisfied").unwrap(), false, &[]);
    assert!(!codes(&v).contains(&"CS214".to_owned()), "{v}");
}

/// Cause 7: AKI ≠ issuer SKI was a warning beside "trusted"; OpenSSL
/// cannot build that path, so CS207 is an error now.
#[test]
fn a_key_id_mismatch_is_an_error() {
    let Some(dir) = scenario("aki-mismatch") else {
        return;
    };
    let (code, v) = lint(&dir, false, &[]);
    let f = finding(&v, "CS207");
    assert_eq!(f["severity"], "error");
    assert_eq!(code, 1);
}
