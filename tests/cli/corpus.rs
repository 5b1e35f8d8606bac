//! The path validator and the linter against material nobody here wrote:
//! x509-limbo, NIST PKITS, and the cfssl / zlint / certigo / pyca files of
//! `tests/corpus` (see its README for the expected outcomes).
use std::collections::BTreeMap;
use std::path::Path;

use chainsmith::pki::load::{LoadOptions, load_bytes};

use chainsmith::lint::usage::host_matches;
use chainsmith::pki::model::{Cert, KeyUsage};
use chainsmith::pki::path::{PathOptions, validate};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::*;

fn certs_of(pem: &str) -> Vec<Cert> {
    let f = load_bytes("limbo", pem.as_bytes(), &LoadOptions::default());
    assert!(
        f.problems.is_empty() || !f.certs.is_empty(),
        "unreadable limbo PEM"
    );
    f.certs
}

/// Features we do not implement: such cases are skipped (as limbo allows).
const UNSUPPORTED_FEATURES: &[&str] = &[
    "pedantic-serial-number",
    "pedantic-webpki-subscriber-key",
    "pedantic-rfc5280",
    "pedantic-webpki-eku",
    "pedantic-public-suffix-wildcard",
    "has-crl",
    "has-policy-constraints",
];

/// Known divergences from limbo's expectation, each with its reason.
const LIMBO_DIVERGENCES: &[(&str, &str)] = &[
    (
        "rfc5280::root-non-critical-basic-constraints",
        "RFC 5280 §6.1.4 (k) path validation checks cA, not criticality (PKITS 4.6.4 expects SUCCESS for a non-critical CA); the linter's CS306 flags it",
    ),
    (
        "webpki::ca-as-leaf",
        "RFC 5280 allows a CA in leaf position (rfc5280::ca-as-leaf expects SUCCESS); we follow RFC 5280",
    ),
    (
        "webpki::ee-basicconstraints-ca",
        "same conflict as webpki::ca-as-leaf: RFC 5280 permits a CA:TRUE end entity",
    ),
];

/// What one limbo case came to.
enum Case {
    /// The product judged it: trusted or not, and why.
    Judged(bool, String),
    /// It asks for a check the product does not make (an EKU other than
    /// serverAuth, an RFC822 or other non-DNS/IP peer name): not judged,
    /// counted as skipped, with the reason.
    Unenforced(String),
}

#[derive(Default)]
struct Tally {
    /// Ids of the judged cases that agree with limbo.
    agreed: Vec<String>,
    known: usize,
    /// Ids skipped for an unsupported feature.
    skipped_features: Vec<String>,
    /// Ids skipped because the product cannot enforce what they ask.
    unenforced: Vec<String>,
    disagreements: Vec<String>,
}

impl Tally {
    fn judged(&self) -> usize {
        self.agreed.len() + self.known + self.disagreements.len()
    }
    fn skipped(&self) -> usize {
        self.skipped_features.len() + self.unenforced.len()
    }
}

/// Run one limbo case through the product's path validator and host
/// matcher. `None`: the case could not be read (always a disagreement).
fn limbo_case(t: &Value, now: OffsetDateTime) -> Option<Case> {
    let pems = |k: &str| -> Vec<Cert> {
        t[k].as_array()
            .map(|a| {
                a.iter()
                    .flat_map(|p| certs_of(p.as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default()
    };
    let server = t["validation_kind"].as_str() == Some("SERVER");
    // What the product cannot enforce is not judged: PathOptions.server
    // checks serverAuth (on a server validation); no other EKU is checked.
    for eku in t["extended_key_usage"].as_array().into_iter().flatten() {
        let eku = eku.as_str().expect("limbo EKUs are strings");
        if !(server && eku == "serverAuth") {
            return Some(Case::Unenforced(format!(
                "extendedKeyUsage {eku} on a {} validation",
                t["validation_kind"]
            )));
        }
    }
    // Peer names: `expected_peer_name` and the list `expected_peer_names`.
    let mut names: Vec<(&str, &str)> = Vec::new();
    let one = &t["expected_peer_name"];
    let many = t["expected_peer_names"].as_array().into_iter().flatten();
    for n in std::iter::once(one).chain(many).filter(|n| !n.is_null()) {
        let (Some(kind), Some(value)) = (n["kind"].as_str(), n["value"].as_str()) else {
            return None;
        };
        if kind != "DNS" && kind != "IP" {
            return Some(Case::Unenforced(format!("{kind} peer name {value}")));
        }
        names.push((kind, value));
    }
    let anchors = pems("trusted_certs");
    let pool = pems("untrusted_intermediates");
    let peer = certs_of(t["peer_certificate"].as_str()?);
    let target = peer.first()?;
    let time = match t["validation_time"].as_str() {
        Some(s) => OffsetDateTime::parse(s, &Rfc3339).ok()?,
        None => now,
    };
    let mut opts = PathOptions::new(time);
    opts.server = server;
    opts.max_intermediates = t["max_chain_depth"].as_u64().map(|d| d as usize);
    for ku in t["key_usage"].as_array().into_iter().flatten() {
        let name = ku.as_str().expect("limbo key usages are strings");
        // The product's own name → bit table, not a copy of it.
        opts.required_key_usage |= KeyUsage::bit(name)
            .unwrap_or_else(|| panic!("limbo asks for keyUsage {name:?}, unknown to RFC 5280"));
    }
    let a: Vec<&Cert> = anchors.iter().collect();
    let p: Vec<&Cert> = pool.iter().collect();
    let v = validate(target, &p, &a, &opts);
    let mut ok = v.trusted;
    let mut reason = v.reason;
    // Name checks for cases with an expected DNS name or IP address (SANs
    // only, as RFC 6125 and webpki do: a subject CN is not consulted), with
    // the product's own matcher, the one `lint --host` and `probe` use.
    if ok && let Some((_, name)) = names.iter().find(|(_, n)| !host_matches(target, n)) {
        ok = false;
        reason = format!("{name} is not in the SANs");
    }
    Some(Case::Judged(ok, reason))
}

fn run_limbo(cases: &[Value], divergences: &[(&str, &str)]) -> Tally {
    let now = OffsetDateTime::parse(AT, &Rfc3339).unwrap();
    let mut tally = Tally::default();
    let known: BTreeMap<&str, &str> = divergences.iter().copied().collect();
    for t in cases {
        let id = t["id"].as_str().unwrap_or("?");
        let features: Vec<&str> = t["features"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if features.iter().any(|f| UNSUPPORTED_FEATURES.contains(f)) {
            tally.skipped_features.push(id.to_owned());
            continue;
        }
        let expected = t["expected_result"].as_str() == Some("SUCCESS");
        let started = std::time::Instant::now();
        let outcome = limbo_case(t, now);
        assert!(
            started.elapsed().as_secs() < 2,
            "{id} took {:?}",
            started.elapsed()
        );
        let (got, reason) = match outcome {
            Some(Case::Judged(got, reason)) => (got, reason),
            Some(Case::Unenforced(why)) => {
                assert!(
                    !known.contains_key(id),
                    "{id} is on the divergence list but is not judged ({why})"
                );
                tally.unenforced.push(id.to_owned());
                continue;
            }
            // Never an agreement, whatever limbo expects.
            None => {
                tally
                    .disagreements
                    .push(format!("{id}: the test case could not be read"));
                continue;
            }
        };
        if got == expected {
            assert!(
                !known.contains_key(id),
                "{id} is on the divergence list but now agrees; remove it"
            );
            tally.agreed.push(id.to_owned());
        } else if known.contains_key(id) {
            tally.known += 1;
        } else {
            tally
                .disagreements
                .push(format!("{id}: expected {expected}, got {got} ({reason})"));
        }
    }
    tally
}

/// Run one limbo suite file against its divergence list, require agreement
/// on every other judged case, and return the tally for the caller to pin.
fn check_limbo_suite(file: &str, label: &str, divergences: &[(&str, &str)]) -> Tally {
    let text = std::fs::read_to_string(corpus(file)).unwrap();
    let suite: Value = serde_json::from_str(&text).unwrap();
    let cases = suite["testcases"].as_array().unwrap();
    let t = run_limbo(cases, divergences);
    let run = t.judged();
    eprintln!(
        "{label}: {}/{} agree ({:.1}%), {} known divergences, {} skipped ({} unsupported features, {} not enforceable)",
        t.agreed.len(),
        run,
        100.0 * t.agreed.len() as f64 / run as f64,
        t.known,
        t.skipped(),
        t.skipped_features.len(),
        t.unenforced.len(),
    );
    assert!(
        t.disagreements.is_empty(),
        "unexpected disagreements:\n{}",
        t.disagreements.join("\n")
    );
    assert_eq!(run + t.skipped(), cases.len(), "every case is counted once");
    t
}

#[test]
fn limbo_chain_subset_agrees_with_expected_results() {
    let t = check_limbo_suite(
        "limbo/limbo-chain-subset.json",
        "limbo chain subset",
        LIMBO_DIVERGENCES,
    );
    // Pinned, so a case that silently stops being judged shows up.
    assert_eq!((t.judged(), t.skipped()), (82, 8));
    assert!(t.unenforced.is_empty(), "{:?}", t.unenforced);
}

#[test]
fn limbo_online_chains_all_pass_at_their_pinned_time() {
    let dir = corpus("limbo/online");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let t: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(t["expected_result"], "SUCCESS");
        let Some(Case::Judged(ok, reason)) = limbo_case(&t, OffsetDateTime::now_utc()) else {
            panic!("{}: unreadable or not judged", p.display());
        };
        assert!(ok, "{}: {reason}", p.display());
        n += 1;
    }
    assert_eq!(n, 14);
}

/// PKITS divergences, each with its reason.
const PKITS_DIVERGENCES: &[(&str, &str)] = &[
    (
        "4.1.4",
        "DSA signatures: DSA keys are refused outright (aws-lc-rs cannot verify DSA; CS308 calls DSA weak)",
    ),
    (
        "4.1.5",
        "DSA parameter inheritance: DSA keys are refused outright (OpenSSL fails this test too)",
    ),
];

#[test]
fn pkits_subset_agrees_with_expected_results() {
    let base = corpus("pkits");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("manifest.json")).unwrap())
            .unwrap();
    let der = |rel: &str| -> Cert {
        let bytes = std::fs::read(base.join(rel)).unwrap();
        let f = load_bytes(rel, &bytes, &LoadOptions::default());
        f.certs
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{rel} unreadable"))
    };
    let known: BTreeMap<&str, &str> = PKITS_DIVERGENCES.iter().copied().collect();
    let time = OffsetDateTime::parse("2020-06-01T00:00:00Z", &Rfc3339).unwrap();
    let (mut agree, mut div, mut bad) = (0, 0, Vec::new());
    let tests = manifest["tests"].as_array().unwrap();
    for t in tests {
        let id = t["pkits_id"].as_str().unwrap();
        let anchor = der(t["trust_anchor"].as_str().unwrap());
        let mut pool: Vec<Cert> = t["intermediates_root_to_leaf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| der(p.as_str().unwrap()))
            .collect();
        pool.reverse();
        let ee = der(t["end_entity"].as_str().unwrap());
        let mut opts = PathOptions::new(time);
        opts.server = false;
        let a = [&anchor];
        let p: Vec<&Cert> = pool.iter().collect();
        let v = validate(&ee, &p, &a, &opts);
        let expected = t["expected"] == "SUCCESS";
        if v.trusted == expected {
            assert!(
                !known.contains_key(id),
                "{id} is on the divergence list but now agrees"
            );
            agree += 1;
        } else if known.contains_key(id) {
            div += 1;
        } else {
            bad.push(format!(
                "{id}: expected {expected}, got {} ({})",
                v.trusted, v.reason
            ));
        }
    }
    let run = agree + div + bad.len();
    eprintln!(
        "PKITS subset: {agree}/{run} agree ({:.1}%), {div} known divergence(s)",
        100.0 * agree as f64 / run as f64
    );
    assert_eq!(run, 47);
    assert!(
        bad.is_empty(),
        "unexpected disagreements:\n{}",
        bad.join("\n")
    );
}

/// Lint one corpus file as JSON at a pinned time; return the codes found.
fn lint_codes(rel: &str, extra: &[&str]) -> Vec<String> {
    let args: Vec<&str> = extra.iter().copied().chain([rel]).collect();
    let (code, v) = lint_json_in(&corpus(""), &args);
    assert!(code == 0 || code == 1, "{rel}: exit {code}: {v}");
    codes(&v)
}

fn assert_fires(rel: &str, extra: &[&str], code: &str) {
    let codes = lint_codes(rel, extra);
    assert!(
        codes.iter().any(|c| c == code),
        "{rel}: expected {code}, got {codes:?}"
    );
}

#[test]
fn cfssl_bundler_expectations() {
    // partial-bundle: [leaf, L2], L1 missing. With the CA the clients hold, the gap shows.
    assert_fires(
        "cfssl/bundler/partial-bundle.pem",
        &["--trust", "cfssl/bundler/ca.pem"],
        "CS204",
    );
    assert_fires(
        "cfssl/bundler/partial-bundle.pem",
        &["--expect", "ca-bundle"],
        "CS204",
    );
    // Its first certificate (cloudflare-leaf.com) is technically a CA, so auto sees a CA bundle.
    assert_fires(
        "cfssl/bundler/partial-bundle.pem",
        &["--trust", "cfssl/bundler/ca.pem"],
        "CS205",
    );
    assert_fires(
        "cfssl/bundler/partial-bundle.pem",
        &[
            "--trust",
            "cfssl/bundler/ca.pem",
            "--expect",
            "server-chain",
        ],
        "CS213",
    );
    // reverse-partial-bundle: [L2, leaf].
    assert_fires("cfssl/bundler/reverse-partial-bundle.pem", &[], "CS203");
    assert_fires(
        "cfssl/bundler/reverse-partial-bundle.pem",
        &["--expect", "server-chain"],
        "CS203",
    );
    // bad-bundle: two leaves; the second is an expired CA:FALSE leaf unrelated to the first.
    let bad = lint_codes("cfssl/bundler/bad-bundle.pem", &[]);
    assert!(
        bad.contains(&"CS202".to_owned()) && bad.contains(&"CS301".to_owned()),
        "{bad:?}"
    );
    // int-bundle: a leaf in a CA bundle, expired certificates, roots among intermediates.
    let int = lint_codes("cfssl/bundler/int-bundle.pem", &[]);
    for code in ["CS202", "CS301", "CS203"] {
        assert!(int.contains(&code.to_owned()), "int-bundle: {code} missing");
    }
    assert_eq!(
        int.iter().filter(|c| *c == "CS202").count(),
        1,
        "exactly one leaf (block 366)"
    );
    // Pathlen: L1 pathlen 1 with L2 and leaf-rsa4096 (CA) below it.
    let dir = tempfile::tempdir().unwrap();
    let chain = dir.path().join("leaflet-chain.pem");
    let parts = [
        "cfssl-leaflet-rsa4096.pem",
        "cfssl-leaf-rsa4096.pem",
        "inter-L2.pem",
        "inter-L1.pem",
        "ca.pem",
    ];
    let joined: Vec<u8> = parts
        .iter()
        .flat_map(|p| {
            let mut b = std::fs::read(corpus("cfssl/bundler").join(p)).unwrap();
            b.push(b'\n');
            b
        })
        .collect();
    std::fs::write(&chain, joined).unwrap();
    assert_fires(chain.to_str().unwrap(), &[], "CS209");
    assert_fires("cfssl/bundler/inter-L1-expired.pem", &[], "CS301");
    assert_fires("cfssl/bundler/ca.pem", &[], "CS308");
    assert_fires("cfssl/bundler/inter-L1.pem", &[], "CS307");
    assert_fires(
        "cfssl/bundler/cfssl-leaf-rsa2048.pem",
        &["--expect", "ca-bundle"],
        "CS201",
    );
}

#[test]
fn zlint_and_certigo_fire_the_rule_their_name_describes() {
    let cases: &[(&str, &str)] = &[
        ("zlint/caBasicConstNotCrit.pem", "CS306"),
        ("zlint/keyCertSignNotCA.pem", "CS304"),
        ("zlint/subCaNoCertSign.pem", "CS305"),
        ("zlint/caMaxPathLenPresentNoCertSign.pem", "CS305"),
        ("zlint/oldRootModTooSmall.pem", "CS308"),
        ("zlint/md5WithRSASignatureAlgorithm.pem", "CS307"),
        ("zlint/sha1WithRSASignatureAlgorithm.pem", "CS307"),
        ("zlint/validityNegative.pem", "CS302"),
        ("zlint/validityNegative.pem", "CS301"),
        ("zlint/multDupeExts.pem", "CS314"),
        ("zlint/caBasicConstCrit.pem", "CS103"),
        ("certigo/example-root-bad-ku.crt", "CS305"),
        ("certigo/example-leaf.crt", "CS313"),
        ("certigo/example-sha1.crt", "CS307"),
        ("certigo/example-md5.crt", "CS307"),
        ("certigo/example-elliptic-sha1.crt", "CS307"),
        ("certigo/example-small-key.crt", "CS308"),
        ("certigo/example-expired.crt", "CS301"),
        ("certigo/example-root-bad-ku.p7b", "CS305"),
    ];
    for (file, code) in cases {
        assert_fires(file, &[], code);
    }
    // Controls stay clean of the rule their sibling fires.
    assert!(!lint_codes("zlint/caBasicConstCrit.pem", &[]).contains(&"CS306".to_owned()));
    assert!(!lint_codes("zlint/keyCertSignCA.pem", &[]).contains(&"CS304".to_owned()));
    assert!(!lint_codes("certigo/example-root.crt", &[]).contains(&"CS305".to_owned()));
    // PKCS#12 with the password: RC2 cert bag.
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "password").unwrap();
    assert_fires(
        "certigo/example-leaf.p12",
        &["--password-file", pw.to_str().unwrap()],
        "CS404",
    );
    assert_fires(
        "certigo/example-leaf.p12",
        &["--password-file", pw.to_str().unwrap()],
        "CS313",
    );
}

#[test]
fn cfssl_helpers_parse_failures_are_clean_cs1xx_findings() {
    assert_fires("cfssl/helpers/messed_up_bundle.pem", &[], "CS102");
    for f in [
        "messedupcert.pem",
        "emptycert.pem",
        "noheadercert.pem",
        "empty_pkcs7.pem",
        "empty_pkcs7.der",
    ] {
        let codes = lint_codes(&format!("cfssl/helpers/{f}"), &[]);
        assert!(
            !codes.is_empty() && codes.iter().all(|c| c.starts_with("CS1")),
            "{f}: {codes:?}"
        );
    }
    for f in [
        "pemutil-badca.crt",
        "pemutil-badpem.crt",
        "pemutil-badder.crt",
    ] {
        let codes = lint_codes(&format!("smallstep/{f}"), &[]);
        assert!(codes.iter().any(|c| c.starts_with("CS1")), "{f}: {codes:?}");
    }
    assert!(lint_codes("cfssl/helpers/empty_pkcs7.der", &[]).contains(&"CS107".to_owned()));
}

#[test]
fn every_corpus_file_lints_without_a_crash() {
    let root = corpus("");
    let (code, v) = lint_json_in(&root, &["."]);
    assert!(code == 1, "exit {code}: {}", v["errors"]);
    assert!(v["summary"]["files"].as_u64().unwrap() > 150);
    assert!(Path::new(&root).join("README.md").exists());
}

/// Divergences of the whole generated suite beyond those of the chain
/// subset, each with its reason. Most are issuance-profile rules (what a CA
/// may put in a certificate), which the linter's rules judge, not path
/// validation.
const LIMBO_FULL_DIVERGENCES: &[(&str, &str)] = &[
    (
        "rfc5280::nc::permitted-dns-match-noncritical",
        "a non-critical NameConstraints extension is still enforced, as webpki and OpenSSL do (limbo marks the case rfc5280-incompatible-with-webpki)",
    ),
    (
        "rfc5280::san::noncritical-with-empty-subject",
        "SAN criticality is an issuance rule (RFC 5280 §4.2.1.6), not a path-validation step",
    ),
    (
        "webpki::san::san-critical-with-nonempty-subject",
        "SAN criticality is an issuance rule (CABF 7.1.2.7.12), not a path-validation step",
    ),
    (
        "rfc5280::san::underscore-dns",
        "the syntax of a DNS SAN's labels is not judged by the path validator",
    ),
    (
        "rfc5280::ee-critical-aia-invalid",
        "AIA criticality is an issuance rule (RFC 5280 §4.2.2.1); the extension is known, so a critical one does not stop validation",
    ),
    (
        "webpki::cn::ipv4-hex-mismatch",
        "subject CN content (CABF BR 7.1.4.3) is an issuance rule; names are matched on SANs only",
    ),
    (
        "webpki::cn::ipv4-leading-zeros-mismatch",
        "subject CN content (CABF BR 7.1.4.3) is an issuance rule; names are matched on SANs only",
    ),
    (
        "webpki::cn::ipv6-uppercase-mismatch",
        "subject CN content (CABF BR 7.1.4.3) is an issuance rule; names are matched on SANs only",
    ),
    (
        "webpki::cn::ipv6-uncompressed-mismatch",
        "subject CN content (CABF BR 7.1.4.3) is an issuance rule; names are matched on SANs only",
    ),
    (
        "webpki::cn::ipv6-non-rfc5952-mismatch",
        "subject CN content (CABF BR 7.1.4.3) is an issuance rule; names are matched on SANs only",
    ),
    (
        "webpki::cn::punycode-not-in-san",
        "subject CN content (CABF BR 7.1.4.3) is an issuance rule; names are matched on SANs only",
    ),
    (
        "webpki::cn::utf8-vs-punycode-mismatch",
        "subject CN content (CABF BR 7.1.4.3) is an issuance rule; names are matched on SANs only",
    ),
    (
        "webpki::cn::not-in-san",
        "subject CN content (CABF BR 7.1.4.3) is an issuance rule; names are matched on SANs only",
    ),
    (
        "webpki::cn::case-mismatch",
        "subject CN content (CABF BR 7.1.4.3) is an issuance rule; names are matched on SANs only",
    ),
];

/// The whole generated suite (193 cases; the chain subset is 90 of them):
/// name constraints of every form, SAN and EKU cases, CVE regressions.
#[test]
fn limbo_generated_suite_agrees_with_expected_results() {
    let divergences: Vec<(&str, &str)> = LIMBO_DIVERGENCES
        .iter()
        .chain(LIMBO_FULL_DIVERGENCES)
        .copied()
        .collect();
    let t = check_limbo_suite(
        "limbo/limbo-generated-8a2e6f4.json",
        "limbo generated suite",
        &divergences,
    );
    assert_eq!((t.judged(), t.skipped()), (159, 34));
    // Not judged: the ten client validations, which ask for clientAuth and
    // RFC822 peer names (all of them name-constraint cases).
    assert_eq!(t.unenforced.len(), 10, "{:?}", t.unenforced);
    // Every name-constraint case the product can judge agrees, but for the
    // deliberate divergence on a non-critical NameConstraints extension.
    let text = std::fs::read_to_string(corpus("limbo/limbo-generated-8a2e6f4.json")).unwrap();
    let suite: Value = serde_json::from_str(&text).unwrap();
    let nc: Vec<&str> = suite["testcases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|i| i.contains("::nc::"))
        .collect();
    let not_agreed: Vec<&str> = nc
        .iter()
        .copied()
        .filter(|i| !t.agreed.iter().any(|a| a == i) && !t.unenforced.iter().any(|u| u == i))
        .collect();
    assert_eq!(
        not_agreed,
        ["rfc5280::nc::permitted-dns-match-noncritical"],
        "name-constraint cases that do not agree"
    );
    assert_eq!(nc.len(), 52);
    assert!(
        t.unenforced.iter().all(|u| nc.contains(&u.as_str())),
        "{:?}",
        t.unenforced
    );
}

/// The vendored corpus is byte-for-byte what was delivered: every file in
/// `tests/corpus/SHA256SUMS` has its digest, and every data file is listed.
#[test]
fn vendored_corpus_matches_its_sha256sums() {
    let base = corpus("");
    let sums = std::fs::read_to_string(base.join("SHA256SUMS")).unwrap();
    let mut listed = std::collections::BTreeSet::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (hex_digest, name) = line.split_once("  ").expect("`DIGEST  NAME` lines");
        let bytes = std::fs::read(base.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
        assert_eq!(hex::encode(got.as_ref()), hex_digest, "{name} was changed");
        listed.insert(name.to_owned());
    }
    let mut stack = vec![base.clone()];
    let mut found = std::collections::BTreeSet::new();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(&base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if p.is_dir() {
                if rel != "LICENSES" {
                    stack.push(p);
                }
            } else if !["SHA256SUMS", "README.md"].contains(&rel.as_str()) {
                found.insert(rel);
            }
        }
    }
    assert_eq!(found, listed, "files in tests/corpus and SHA256SUMS differ");
    assert_eq!(listed.len(), 688);
}

/// Nothing the repository ships reads the team's shared folder beside the
/// checkout: a stranger's clone does not have it.
#[test]
fn no_tracked_file_reads_the_shared_folder() {
    let out = std::process::Command::new("git")
        .current_dir(repo())
        .args(["grep", "-n", "-I", "-E", r"\.\./shared", "--"])
        .args([
            "src",
            "tests",
            "benches",
            "scripts",
            "fuzz",
            "docs",
            "README.md",
        ])
        .output();
    let Ok(out) = out else {
        cannot_run("git is not installed");
        return;
    };
    if out.status.code() == Some(128) {
        cannot_run("not a git checkout");
        return;
    }
    let hits = String::from_utf8_lossy(&out.stdout);
    assert!(
        hits.trim().is_empty(),
        "files that name the shared folder beside the checkout:\n{hits}"
    );
}
