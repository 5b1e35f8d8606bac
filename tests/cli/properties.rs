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
        chainsmith()
            .args([
                "issue",
                "--profile",
                "intermediate",
                "--cn",
                "Sub CA",
                "--ca",
            ])
            .arg(dir.join("intermediate.crt"))
            .arg("--ca-key")
            .arg(dir.join("intermediate.key"))
            .arg("-o")
            .arg(&sub)
            .assert()
            .success();
        let leaf = tmp.path().join("leaf");
        chainsmith()
            .args(["issue", "--san", "deep.example.com", "--ca"])
            .arg(sub.join("intermediate.crt"))
            .arg("--ca-key")
            .arg(sub.join("intermediate.key"))
            .arg("-o")
            .arg(&leaf)
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
