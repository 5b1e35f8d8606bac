//! Properties over permutations and arbitrary bytes (proptest), checked
//! through the binary as a user runs it.
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::support::*;

/// root → intermediate (pathLen 1) → sub CA → leaf, made by chainsmith
/// itself once per test binary and checked by openssl elsewhere.
fn deep_chain() -> &'static (tempfile::TempDir, Vec<PathBuf>) {
    static CHAIN: std::sync::OnceLock<(tempfile::TempDir, Vec<PathBuf>)> =
        std::sync::OnceLock::new();
    CHAIN.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = generate_chain(tmp.path(), &["--pathlen", "1"]);
        let sub = tmp.path().join("sub");
        issue_by_chain(&dir)
            .args(["--profile", "intermediate", "--cn", "Sub CA"])
            .out(&sub)
            .assert()
            .success();
        let leaf = tmp.path().join("leaf");
        issue_by_chain(&sub)
            .san("deep.example.com")
            .out(&leaf)
            .assert()
            .success();
        let files = vec![
            leaf.join("server.crt"),
            sub.join("intermediate.crt"),
            dir.join("intermediate.crt"),
            dir.join("root.crt"),
        ];
        (tmp, files)
    })
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn every_permutation_of_a_served_chain_is_clean_or_only_wrong_order() {
    let (tmp, files) = deep_chain();
    let served = &files[..3]; // leaf, sub CA, intermediate; the root stays with the client
    let root = &files[3];
    for perm in permutations(3) {
        let f = tmp.path().join("perm.pem");
        let text: String = perm.iter().map(|&i| read(&served[i])).collect();
        std::fs::write(&f, text).unwrap();
        let out = chainsmith()
            .args([
                "lint",
                "--expect",
                "server-chain",
                "--format",
                "json",
                "--fail-on",
                "note",
                "--host",
                "deep.example.com",
                // Every client but nginx: with its default
                // proxy_ssl_verify_depth 1 it refuses this two-intermediate
                // chain in any order (measured in tests/clients).
                "--client",
                "openssl",
                "--client",
                "openssl-strict",
                "--client",
                "curl",
                "--client",
                "go",
                "--client",
                "java",
                "--client",
                "webpki",
                "--client",
                "dotnet-linux",
                "--trust",
            ])
            .arg(root)
            .arg(&f)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let codes: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["code"].as_str().unwrap().to_owned())
            .collect();
        if perm == [0, 1, 2] {
            assert!(codes.is_empty(), "the right order is not clean: {codes:?}");
            assert_eq!(out.status.code(), Some(0));
        } else if perm[0] == 0 {
            // The leaf still comes first: clients build the path from any
            // order of the rest, so only the order itself is a finding.
            assert!(
                !codes.is_empty() && codes.iter().all(|c| c == "CS203"),
                "{perm:?}: {codes:?}"
            );
            assert_eq!(out.status.code(), Some(1));
        } else {
            // A CA first: every TLS client takes the first certificate as
            // the server's, whose names do not cover the host, so the trust
            // verdict (CS213) fails too. (This property used to allow
            // CS203 alone, while the verdict said "trusted": the wrong
            // answer the per-client models fixed.)
            let mut uniq = codes.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq, ["CS203", "CS213"], "{perm:?}");
            assert_eq!(
                v["files"][0]["trust"]["trusted"], false,
                "{perm:?}: a CA served first is trusted"
            );
            assert_eq!(out.status.code(), Some(1));
        }
    }
}

#[test]
fn bundle_output_is_the_same_for_every_permutation_of_its_inputs() {
    let (_tmp, files) = deep_chain();
    for kind in ["ca", "server"] {
        let mut first: Option<Vec<u8>> = None;
        for perm in permutations(4) {
            let mut cmd = chainsmith();
            cmd.args(["bundle", "--for", kind]);
            if kind == "server" {
                cmd.arg("--with-root");
            }
            for &i in &perm {
                cmd.arg(&files[i]);
            }
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "{kind} {perm:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            match &first {
                None => first = Some(out.stdout),
                Some(f) => assert_eq!(f, &out.stdout, "{kind}: output differs for {perm:?}"),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// PEM → DER → PEM is the identity, through convert.
    #[test]
    fn pem_to_der_to_pem_is_the_identity(pick in proptest::sample::subsequence(vec![0usize, 1, 2, 3], 1..=4)) {
        let (_tmp, files) = deep_chain();
        let work = tempfile::tempdir().unwrap();
        let pem: String = pick.iter().map(|&i| read(&files[i])).collect();
        let src = work.path().join("in.pem");
        std::fs::write(&src, &pem).unwrap();
        let der_dir = work.path().join("der");
        chainsmith().args(["convert", "--to", "der", "-o"]).arg(&der_dir).arg(&src).assert().success();
        let mut ders: Vec<PathBuf> = std::fs::read_dir(&der_dir).unwrap().map(|e| e.unwrap().path()).collect();
        ders.sort();
        prop_assert_eq!(ders.len(), pick.len());
        let back = chainsmith().args(["convert", "--to", "pem"]).args(&ders).output().unwrap();
        prop_assert!(back.status.success());
        // Same certificates (as a set: .cer files come back in name order).
        let mut a: Vec<&str> = pem.split_inclusive("-----END CERTIFICATE-----\n").collect();
        let text = String::from_utf8(back.stdout).unwrap();
        let mut b: Vec<&str> = text.split_inclusive("-----END CERTIFICATE-----\n").collect();
        a.sort();
        b.sort();
        prop_assert_eq!(a, b);
    }

    /// The loader never panics: arbitrary bytes, and real certificates with
    /// bytes flipped, give a finding or a clean run, never a crash.
    #[test]
    fn lint_never_panics_on_mutated_input(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), pem in any::<bool>()) {
        let mut bytes = if pem {
            std::fs::read(fixture("server-fullchain.pem")).unwrap()
        } else {
            std::fs::read(fixture("server.der")).unwrap()
        };
        for (pos, val) in flips {
            let n = bytes.len();
            bytes[pos % n] = val;
        }
        let work = tempfile::tempdir().unwrap();
        let f = work.path().join("mutated.pem");
        std::fs::write(&f, &bytes).unwrap();
        let out = chainsmith().arg("lint").arg(&f).output().unwrap();
        let code = out.status.code();
        prop_assert!(matches!(code, Some(0) | Some(1)), "exit {:?}: {}", code, String::from_utf8_lossy(&out.stderr));
    }
}

/// A number flag's value: everyday values, the edges of u32 and of the
/// last date X.509 can encode (about 2.9 million days from now), u64,
/// negative numbers and digit strings too long for any integer.
fn day_values() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..=4000).prop_map(|d| d.to_string()),
        (2_900_000u32..=2_940_000).prop_map(|d| d.to_string()),
        (u32::MAX - 8..=u32::MAX).prop_map(|d| d.to_string()),
        any::<u32>().prop_map(|d| d.to_string()),
        any::<u64>().prop_map(|d| d.to_string()),
        "-[0-9]{1,12}",
        "[0-9]{20,30}",
    ]
}

/// An RFC 3339 time across years 0001-9999 with edge seconds (59, and the
/// leap second 60) and the widest offsets, so the instant itself may lie
/// before year 1 or after 9999; days up to 31 give some invalid dates.
fn rfc3339_values() -> impl Strategy<Value = String> {
    let year = prop_oneof![1u32..=9999, Just(1u32), Just(9999u32), 9990u32..=9999];
    let second = prop_oneof![0u32..=59, Just(59u32), Just(60u32)];
    let offset = prop_oneof![
        Just("Z"),
        Just("+00:00"),
        Just("+23:59"),
        Just("-23:59"),
        Just("+14:00"),
        Just("-12:00")
    ];
    (
        year,
        1u32..=12,
        1u32..=31,
        0u32..=23,
        0u32..=59,
        second,
        offset,
    )
        .prop_map(|(y, mo, d, h, mi, s, off)| {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{off}")
        })
}

/// Exit 0, 1 or 2, never a panic (101), and no panic message.
fn no_panic(out: &std::process::Output) -> Result<(), TestCaseError> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    prop_assert!(
        matches!(out.status.code(), Some(0..=2)) && !stderr.contains("panicked"),
        "exit {:?}: {}",
        out.status.code(),
        stderr
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `lint --at` and `--warn-days` (on the command line and in
    /// `.chainsmith.toml`) never panic, whatever the numbers.
    #[test]
    fn lint_time_and_day_numbers_never_panic(at in rfc3339_values(), days in day_values(), in_config in any::<bool>()) {
        let work = tempfile::tempdir().unwrap();
        let mut cmd = chainsmith();
        cmd.current_dir(work.path()).arg("lint").arg(format!("--at={at}"));
        if in_config {
            std::fs::write(work.path().join(".chainsmith.toml"), format!("warn-days = {days}\n")).unwrap();
        } else {
            cmd.arg(format!("--warn-days={days}"));
        }
        let out = cmd.arg(fixture("chain-with-root.pem")).output().unwrap();
        no_panic(&out)?;
        let inspect = chainsmith().arg("inspect").arg(format!("--at={at}")).arg(fixture("chain-with-root.pem")).output().unwrap();
        no_panic(&inspect)?;
    }

    /// `generate`'s three validity flags never panic; a refusal (exit 2)
    /// writes nothing.
    #[test]
    fn generate_day_numbers_never_panic(root in day_values(), int in day_values(), server in day_values()) {
        let work = tempfile::tempdir().unwrap();
        let out_dir = work.path().join("chain");
        let out = chainsmith()
            .args(["generate", "--san", "www.example.com"])
            .arg(format!("--root-days={root}"))
            .arg(format!("--intermediate-days={int}"))
            .arg(format!("--server-days={server}"))
            .arg("-o")
            .arg(&out_dir)
            .output()
            .unwrap();
        no_panic(&out)?;
        if out.status.code() == Some(2) {
            prop_assert!(!out_dir.exists(), "a refused generate wrote {}", out_dir.display());
        }
    }

    /// `issue --days` never panics; past the CA's notAfter it is clamped.
    #[test]
    fn issue_day_numbers_never_panic(days in day_values()) {
        let work = tempfile::tempdir().unwrap();
        let out_dir = work.path().join("leaf");
        let out = issue(fixture("intermediate.crt"), fixture("intermediate.key"))
            .san("www.example.com")
            .arg(format!("--days={days}"))
            .out(&out_dir)
            .output();
        no_panic(&out)?;
        if out.status.code() == Some(2) {
            prop_assert!(!out_dir.exists(), "a refused issue wrote {}", out_dir.display());
        }
    }
}
