//! `chainsmith rules`: the catalogue, one rule explained, JSON, and the
//! generated docs/rules.md that must not go stale.
use serde_json::Value;

use crate::support::*;

#[test]
fn lists_every_rule_with_its_severity() {
    let out = chainsmith().arg("rules").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for (code, name, sev) in [
        ("CS101", "unreadable-input", "error"),
        ("CS103", "text-outside-pem", "note"),
        ("CS201", "leaf-only-ca-bundle", "error"),
        ("CS203", "wrong-order", "error"),
        ("CS208", "unrelated-certificate", "warning"),
        ("CS303", "expires-soon", "warning"),
        ("CS405", "pfx-aes-old-windows", "note"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(code))
            .unwrap_or_else(|| panic!("{code} missing"));
        assert!(line.contains(name) && line.contains(sev), "{line}");
    }
    assert!(text.lines().count() >= 39);
}

#[test]
fn explains_one_rule_by_code_or_name() {
    for key in ["CS201", "cs201", "leaf-only-ca-bundle"] {
        let out = chainsmith().args(["rules", key]).output().unwrap();
        assert!(out.status.success(), "{key}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.starts_with("CS201 leaf-only-ca-bundle (default: error)"),
            "{text}"
        );
        assert!(text.contains("fix: "));
        // Cargo.toml names no repository, so no web address is made up.
        assert!(!text.contains("http"), "{text}");
    }
    let out = chainsmith().args(["rules", "CS999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A finding points at the offline explanation, and at no placeholder web
/// address while Cargo.toml names no repository.
#[test]
fn findings_name_the_command_that_explains_their_rule() {
    let out = chainsmith()
        .args(["lint", "--no-config", "--at", AT])
        .arg(fixture("leaf-only-ca-bundle.pem"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("(`chainsmith rules CS"), "{text}");
    assert!(!text.contains("example.invalid"), "{text}");
    assert!(!text.contains("https://"), "{text}");
}

#[test]
fn json_for_the_list_and_for_one_rule() {
    let out = chainsmith()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let rules = v["rules"].as_array().unwrap();
    let mut codes: Vec<&str> = rules.iter().map(|r| r["code"].as_str().unwrap()).collect();
    let n = codes.len();
    // dedup() only drops adjacent repeats: sort first.
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), n, "codes are unique");
    let out = chainsmith()
        .args(["rules", "wrong-order", "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["code"], "CS203");
    assert_eq!(r["default_severity"], "error");
}

#[test]
fn docs_rules_md_is_generated_from_the_registry() {
    let out = chainsmith()
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    let fresh = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap_or_default();
    assert!(
        fresh == committed,
        "docs/rules.md is stale; regenerate it with `cargo run -q -- rules --format markdown > docs/rules.md`"
    );
    // Every finding's docs link points at an anchor that exists.
    for line in fresh.lines().filter(|l| l.starts_with("### CS")) {
        let anchor = line
            .trim_start_matches("### ")
            .to_lowercase()
            .replace(' ', "-");
        assert!(fresh.contains(&format!("(#{anchor})")), "{anchor}");
    }
}

#[test]
fn help_snapshots() {
    for cmd in ["lint", "rules"] {
        let out = chainsmith()
            .args([cmd, "--help"])
            .env("COLUMNS", "100")
            .output()
            .unwrap();
        assert!(out.status.success());
        insta::assert_snapshot!(
            format!("help_{cmd}"),
            String::from_utf8(out.stdout).unwrap()
        );
    }
}
