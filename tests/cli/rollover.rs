//! `lint --deployed-bundle`: CS215-CS217 on real rollovers made by `rotate`,
//! each verdict held against `openssl verify` with the same bundle.
use std::path::Path;

use ::time::format_description::well_known::Rfc3339;
use ::time::{Duration, OffsetDateTime};
use predicates::prelude::*;

use crate::support::*;

fn at(days: i64) -> String {
    (OffsetDateTime::now_utc() + Duration::days(days))
        .replace_nanosecond(0)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

/// A chain in `dir/chain` rolled over to a new root in `dir/r`.
fn rolled(dir: &Path, generate_extra: &[&str]) {
    generate_chain(dir, generate_extra);
    chainsmith()
        .current_dir(dir)
        .args(["rotate", "root", "--from", "chain", "-o", "r"])
        .assert()
        .success();
}

/// `openssl verify` of the served chain's leaf against one bundle.
fn verify(dir: &Path, bundle: &str, served: &str, attime: Option<i64>) -> bool {
    let text = std::fs::read_to_string(dir.join(served)).unwrap();
    let end = text.find("-----END CERTIFICATE-----").unwrap() + 26;
    std::fs::write(dir.join("leaf.pem"), &text[..end]).unwrap();
    let t = attime.map(|d| {
        (OffsetDateTime::now_utc() + Duration::days(d))
            .unix_timestamp()
            .to_string()
    });
    let mut args = vec!["verify", "-CAfile", bundle, "-untrusted", served];
    if let Some(t) = &t {
        args.extend(["-attime", t.as_str()]);
    }
    args.push("leaf.pem");
    openssl(dir, &args).0
}

fn lint(dir: &Path, bundles: &[&str], served: &str, when: &str) -> assert_cmd::assert::Assert {
    let mut cmd = chainsmith();
    cmd.current_dir(dir).args([
        "lint",
        "--no-config",
        "--at",
        when,
        "--expect",
        "server-chain",
    ]);
    for c in ["openssl", "curl", "go"] {
        cmd.args(["--client", c]);
    }
    for b in bundles {
        cmd.args(["--deployed-bundle", b]);
    }
    cmd.arg(served).assert()
}

#[test]
fn overlap_chain_is_trusted_by_every_deployed_bundle_and_the_final_chain_is_not() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let d = tmp.path();
    rolled(d, &[]);
    let bundles = ["chain/ca-bundle.crt", "r/ca-bundle-transition.crt"];
    let now = at(1);
    // Phase 2: the overlap chain, clients with the old or the transition bundle.
    for b in bundles {
        assert!(
            verify(d, b, "r/server-fullchain-overlap.crt", None),
            "openssl verify, {b}"
        );
    }
    lint(d, &bundles, "r/server-fullchain-overlap.crt", &now)
        .code(0)
        .stdout(predicate::str::contains("CS215").not())
        // The old bundle lacks the new root: CS216 warns before the switch to the final chain.
        .stdout(
            predicate::str::contains("warning[CS216]").and(predicate::str::contains(
                "chain/ca-bundle.crt lacks the new root",
            )),
        );
    // The final chain while some clients still hold the old bundle: openssl
    // refuses it with the old bundle, and so does CS215, naming that bundle.
    assert!(!verify(
        d,
        "chain/ca-bundle.crt",
        "r/server-fullchain.crt",
        None
    ));
    assert!(verify(
        d,
        "r/ca-bundle-transition.crt",
        "r/server-fullchain.crt",
        None
    ));
    lint(d, &bundles, "r/server-fullchain.crt", &now)
        .code(1)
        .stdout(
            predicate::str::contains("error[CS215]")
                .and(predicate::str::contains(
                    "deployed bundle chain/ca-bundle.crt would not trust",
                ))
                .and(
                    predicate::str::contains(
                        "deployed bundle r/ca-bundle-transition.crt would not trust",
                    )
                    .not(),
                ),
        );
    // Phase 3: the transition and the new bundle; nothing to say.
    lint(
        d,
        &["r/ca-bundle-transition.crt", "r/ca-bundle.crt"],
        "r/server-fullchain.crt",
        &now,
    )
    .code(0)
    .stdout(
        predicate::str::contains("CS215")
            .not()
            .and(predicate::str::contains("CS216").not()),
    );
}

#[test]
fn an_old_root_that_dies_before_the_new_leaf_is_named() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let d = tmp.path();
    // The old root ends in 200 days; the re-issued leaf runs 397.
    rolled(
        d,
        &[
            "--root-days",
            "200",
            "--intermediate-days",
            "150",
            "--server-days",
            "100",
        ],
    );
    let old = ["chain/ca-bundle.crt"];
    lint(d, &old, "r/server-fullchain-overlap.crt", &at(1))
        .code(0)
        .stdout(
            predicate::str::contains("warning[CS217]")
                .and(predicate::str::contains("chainsmith Root CA")),
        );
    // openssl agrees on both sides of the old root's end.
    assert!(verify(
        d,
        old[0],
        "r/server-fullchain-overlap.crt",
        Some(150)
    ));
    assert!(!verify(
        d,
        old[0],
        "r/server-fullchain-overlap.crt",
        Some(250)
    ));
    // The transition bundle reaches the new root, which outlives the leaf.
    assert!(verify(
        d,
        "r/ca-bundle-transition.crt",
        "r/server-fullchain-overlap.crt",
        Some(250)
    ));
    lint(
        d,
        &["r/ca-bundle-transition.crt"],
        "r/server-fullchain-overlap.crt",
        &at(1),
    )
    .code(0)
    .stdout(predicate::str::contains("CS217").not());
}

#[test]
fn a_deployed_bundle_that_cannot_be_read_is_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    generate_chain(d, &[]);
    std::fs::write(d.join("empty.pem"), "no certificates here\n").unwrap();
    chainsmith()
        .current_dir(d)
        .args([
            "lint",
            "--no-config",
            "--deployed-bundle",
            "empty.pem",
            "chain/server-fullchain.crt",
        ])
        .refused("--deployed-bundle empty.pem");
}

#[test]
fn deployed_bundles_can_come_from_the_config_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    rolled(d, &[]);
    std::fs::write(
        d.join(".chainsmith.toml"),
        "[rollover]\ndeployed = [\"chain/ca-bundle.crt\", \"r/ca-bundle-transition.crt\"]\n",
    )
    .unwrap();
    let lint = |extra: &[&str]| {
        let mut cmd = chainsmith();
        cmd.current_dir(d)
            .args(["lint", "--at", &at(1), "--client", "openssl"])
            .args(extra)
            .arg("r/server-fullchain.crt");
        cmd.assert()
    };
    // The old bundle of the file does not trust the final chain.
    lint(&[]).code(1).stdout(
        predicate::str::contains("error[CS215]")
            .and(predicate::str::contains("chain/ca-bundle.crt")),
    );
    // --deployed-bundle replaces the file's list.
    lint(&["--deployed-bundle", "r/ca-bundle-transition.crt"])
        .code(0)
        .stdout(predicate::str::contains("CS215").not());
}
