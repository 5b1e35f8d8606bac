//! Helpers for the rules' unit tests: run the engine on openssl-made
//! fixtures and corpus files at a pinned time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use ::time::OffsetDateTime;
use ::time::format_description::well_known::Rfc3339;

use super::config::Overrides;
use super::engine::{self, EngineOptions, FileResult, Input};
use super::{Context, Expect, Finding, GivenKey};
use crate::pki::chain::Verifier;
use crate::pki::load::{LoadOptions, load_bytes};
use crate::pki::model::Cert;

/// Shortly after the corpus was gathered and the fixtures were made
/// (2026-11-22); fixtures are valid for 100 years from then.
pub const AT: &str = "2026-12-01T00:00:00Z";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

pub fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name)
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn read_corpus(name: &str) -> Vec<u8> {
    std::fs::read(corpus(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn load_certs(name: &str) -> Vec<Cert> {
    load_bytes(name, &read_fixture(name), &LoadOptions::default()).certs
}

/// An RFC 3339 time, e.g. [`AT`].
pub fn time(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

/// The engine on `inputs` at `now`, with every client, the given trust
/// store and host, and no keys.
pub fn run_engine(
    inputs: Vec<Input>,
    now: OffsetDateTime,
    warn_days: u32,
    trust: &[Cert],
    host: Option<&str>,
    opts: &EngineOptions<'_>,
) -> Vec<FileResult> {
    run_engine_deployed(inputs, now, warn_days, trust, host, &[], opts)
}

/// [`run_engine`] with the deployed bundles of a rollover.
pub fn run_engine_deployed(
    inputs: Vec<Input>,
    now: OffsetDateTime,
    warn_days: u32,
    trust: &[Cert],
    host: Option<&str>,
    deployed: &[super::Deployed],
    opts: &EngineOptions<'_>,
) -> Vec<FileResult> {
    let verifier = Verifier::new();
    let keys: Vec<GivenKey> = Vec::new();
    let ctx = Context {
        now,
        warn_days,
        host: host.map(str::to_owned),
        trust,
        trust_given: !trust.is_empty(),
        clients: &crate::pki::clients::Client::ALL,
        keys: &keys,
        verifier: &verifier,
        deployed,
    };
    engine::run(inputs, &ctx, opts, &Overrides::default())
}

/// A served chain judged against `--deployed-bundle`s.
pub fn lint_deployed(name: &str, bytes: &[u8], deployed: &[super::Deployed]) -> Vec<Finding> {
    let inputs = vec![input(name, bytes, "server-chain")];
    let mut out = run_engine_deployed(
        inputs,
        time(AT),
        30,
        &[],
        None,
        deployed,
        &EngineOptions::default(),
    );
    out.pop().unwrap().findings
}

/// One input named `name`, read as `expect`.
pub fn input(name: &str, bytes: &[u8], expect: &str) -> Input {
    Input {
        path: Arc::from(name),
        expect: Expect::parse(expect).unwrap(),
        expect_source: "--expect",
        bytes: bytes.to_vec(),
    }
}

pub fn lint_full(
    name: &str,
    bytes: &[u8],
    expect: &str,
    trust: &[Cert],
    host: Option<&str>,
    at: &str,
) -> Vec<Finding> {
    let mut out = run_engine(
        vec![input(name, bytes, expect)],
        time(at),
        30,
        trust,
        host,
        &EngineOptions::default(),
    );
    out.pop().unwrap().findings
}

pub fn lint_with(
    name: &str,
    bytes: &[u8],
    expect: &str,
    trust: &[Cert],
    host: Option<&str>,
) -> Vec<Finding> {
    lint_full(name, bytes, expect, trust, host, AT)
}

pub fn lint_bytes(name: &str, bytes: &[u8], expect: &str) -> Vec<Finding> {
    lint_full(name, bytes, expect, &[], None, AT)
}

pub fn lint_fixture(name: &str, expect: &str) -> Vec<Finding> {
    lint_bytes(name, &read_fixture(name), expect)
}

/// Fixture `name` read as `auto`, with `trust` as the `--trust` anchors.
pub fn lint_fixture_trusting(name: &str, trust: &[Cert]) -> Vec<Finding> {
    lint_with(name, &read_fixture(name), "auto", trust, None)
}

pub fn lint_fixture_at(name: &str, expect: &str, at: &str) -> Vec<Finding> {
    lint_full(name, &read_fixture(name), expect, &[], None, at)
}

pub fn lint_corpus(name: &str) -> Vec<Finding> {
    let file = std::path::Path::new(name)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    lint_bytes(&file, &read_corpus(name), "auto")
}

/// The first finding of rule `code`; fails the test, naming the code, when
/// there is none.
pub fn finding<'a>(findings: &'a [Finding], code: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.rule.code == code)
        .unwrap_or_else(|| panic!("no {code} finding"))
}

/// The first finding of rule `code` in the fixture `name` read as `auto`.
pub fn fixture_finding(name: &str, code: &str) -> Finding {
    finding(&lint_fixture(name, "auto"), code).clone()
}

pub fn has(findings: &[Finding], code: &str) -> bool {
    findings.iter().any(|f| f.rule.code == code)
}

/// A CA (P-256, CA:TRUE critical, keyCertSign) made with rcgen, with the
/// given CN and subjectKeyIdentifier.
pub fn rcgen_ca(cn: &str, ski: &[u8]) -> (rcgen::CertificateParams, rcgen::KeyPair, Vec<u8>) {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    p.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(ski.to_vec());
    let key = rcgen::KeyPair::generate().unwrap();
    let der = p.self_signed(&key).unwrap().der().to_vec();
    (p, key, der)
}

pub fn pem_of(der: &[u8]) -> Vec<u8> {
    crate::pki::encode::pem_block("CERTIFICATE", der).into_bytes()
}

/// The first finding of rule `code` on fixture `hit` (read as `auto`),
/// after checking that the rule stays quiet on fixture `quiet`: each
/// rule's test that fires and test that does not, in one call.
pub fn fires_not_on(code: &str, hit: &str, quiet: &str) -> Finding {
    assert!(
        !has(&lint_fixture(quiet, "auto"), code),
        "{code} fires on {quiet}"
    );
    fixture_finding(hit, code)
}

/// Asserts that `text` holds every one of `parts`, printing it when not.
pub fn says(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "no {part:?} in: {text}");
    }
}

/// Tests whose whole body is "rule CODE fires on fixture HIT (read as
/// EXPECT) and not on fixture QUIET (read as `auto`)", one line each:
/// `name: "CS305" on "hit.pem" as "auto", not on "quiet.pem";`
macro_rules! fires_on {
    ($($name:ident: $code:literal on $hit:literal as $expect:literal, not on $quiet:literal;)+) => {
        $(
            #[test]
            fn $name() {
                assert!(
                    has(&lint_fixture($hit, $expect), $code),
                    "{} does not fire on {}",
                    $code,
                    $hit
                );
                assert!(
                    !has(&lint_fixture($quiet, "auto"), $code),
                    "{} fires on {}",
                    $code,
                    $quiet
                );
            }
        )+
    };
}
pub(crate) use fires_on;
