//! In-process benchmarks of the hot paths (issue 6), with criterion:
//!
//! - `load/*`: read and parse a PEM bundle into certificates
//! - `chain/*`: build the issuer graph, verifying every candidate signature
//!   (a fresh `Verifier` per iteration, so nothing comes from its cache)
//! - `lint/*`: the whole lint engine over one file, as `chainsmith lint` runs it
//! - `verify/*`: one self-signature check per key kind found in the system
//!   store, and every self-signature of the store one after another on one
//!   thread: the CPU floor of a store lint that verifies every signature
//! - `keygen/*`: one key pair per key type; `generate/*`: the whole
//!   `chainsmith generate` (three keys, three certificates, every file) as a process
//! - `pfx/*`: PKCS#12 write (which reads its output back to check it) and read, per profile
//! - `same-name/*`: the lint engine over 10,000 self-signed CAs sharing one
//!   subject (one key; a key each with key identifiers; a key each without
//!   AKI), and the capped case: 1,000 leaves without AKI naming one of 100
//!   same-name CAs with distinct keys (issue 13; made in memory with rcgen)
//!
//! `cargo bench --bench hot` runs them all (a few minutes; RSA-4096 dominates);
//! `cargo bench --bench hot -- lint` runs one group. Inputs: the system store
//! `/etc/ssl/certs/ca-certificates.crt` and `tests/corpus/cfssl/bundler/int-bundle.pem`
//! (beside the repository); a missing input skips its benchmarks with a message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chainsmith::lint::Context;
use chainsmith::lint::Expect;
use chainsmith::lint::config::Overrides;
use chainsmith::lint::engine::{self, EngineOptions, Input};
use chainsmith::pki::chain::{Graph, Verifier};
use chainsmith::pki::keys::{self, KeyType};
use chainsmith::pki::load::{self, Container, LoadOptions, Source};
use chainsmith::pki::model::Cert;
use chainsmith::pki::pkcs12::{self, PfxSpec, Profile};
use chainsmith::pki::verify::{self, SigCheck};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const STORE: &str = "/etc/ssl/certs/ca-certificates.crt";

fn int_bundle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/cfssl/bundler/int-bundle.pem")
}

/// The two bundles, by short name; a missing one is skipped loudly.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, path) in [
        ("store", PathBuf::from(STORE)),
        ("int-bundle", int_bundle()),
    ] {
        match std::fs::read(&path) {
            Ok(b) => out.push((name, b)),
            Err(e) => eprintln!("skipped {name}: cannot read {}: {e}", path.display()),
        }
    }
    out
}

fn certs_of(name: &str, bytes: &[u8]) -> Vec<Cert> {
    load::load_bytes(name, bytes, &LoadOptions::default()).certs
}

fn load_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    for (name, bytes) in inputs() {
        let n = certs_of(name, &bytes).len();
        g.bench_function(format!("{name} ({n} certs)"), |b| {
            b.iter(|| load::load_bytes(name, black_box(&bytes), &LoadOptions::default()))
        });
    }
    g.finish();
}

fn chain_build(c: &mut Criterion) {
    let mut g = c.benchmark_group("chain");
    for (name, bytes) in inputs() {
        let certs = certs_of(name, &bytes);
        g.bench_function(format!("{name} ({} certs)", certs.len()), |b| {
            b.iter(|| {
                let verifier = Verifier::new();
                let graph = Graph::build(black_box(&certs), &verifier);
                black_box(graph.chains().len())
            })
        });
    }
    g.finish();
}

fn verify_sigs(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    let Ok(bytes) = std::fs::read(STORE) else {
        eprintln!("skipped verify: cannot read {STORE}");
        return;
    };
    let roots: Vec<Cert> = certs_of("store", &bytes)
        .into_iter()
        .filter(|c| c.subject_raw == c.issuer_raw && verify::check(c, c) == SigCheck::Valid)
        .collect();
    // One root per key kind (the first in the store).
    let mut seen: Vec<String> = Vec::new();
    for root in &roots {
        let kind = format!("{} / {}", root.key, root.sig_alg.oid);
        if seen.contains(&kind) {
            continue;
        }
        seen.push(kind.clone());
        let n = roots
            .iter()
            .filter(|r| format!("{} / {}", r.key, r.sig_alg.oid) == kind)
            .count();
        g.bench_function(format!("{kind} ({n} in the store)"), |b| {
            b.iter(|| verify::check(black_box(root), black_box(root)))
        });
    }
    g.bench_function(
        format!(
            "every self-signature of the store, serially ({} roots)",
            roots.len()
        ),
        |b| {
            b.iter(|| {
                roots
                    .iter()
                    .filter(|r| verify::check(black_box(r), black_box(r)) == SigCheck::Valid)
                    .count()
            })
        },
    );
    g.finish();
}

/// One whole lint run of `bytes` as the file `path`, with a fresh
/// signature cache each time (as each `chainsmith lint` process has).
fn lint_one(
    b: &mut criterion::Bencher<'_>,
    path: &str,
    expect: Expect,
    now: time::OffsetDateTime,
    bytes: &[u8],
    overrides: &Overrides,
) {
    b.iter_batched(
        || bytes.to_vec(),
        |bytes| {
            let verifier = Verifier::new();
            let ctx = Context {
                now,
                warn_days: 30,
                host: None,
                trust: &[],
                trust_given: false,
                clients: &chainsmith::pki::clients::Client::ALL,
                keys: &[],
                verifier: &verifier,
                deployed: &[],
            };
            let input = Input {
                path: Arc::from(path),
                expect,
                expect_source: "--expect",
                bytes,
            };
            engine::run(vec![input], &ctx, &EngineOptions::default(), overrides)
        },
        BatchSize::LargeInput,
    )
}

fn lint_whole(c: &mut Criterion) {
    let mut g = c.benchmark_group("lint");
    let overrides = Overrides::build(&[]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    for (name, bytes) in inputs() {
        let expect = if name == "store" {
            Expect::CaBundle
        } else {
            Expect::Auto
        };
        g.bench_function(name, |b| lint_one(b, name, expect, now, &bytes, &overrides));
    }
    g.finish();
}

const KEY_TYPES: [(&str, KeyType); 5] = [
    ("ec-p256", KeyType::EcP256),
    ("ec-p384", KeyType::EcP384),
    ("ed25519", KeyType::Ed25519),
    ("rsa-2048", KeyType::Rsa(2048)),
    ("rsa-4096", KeyType::Rsa(4096)),
];

fn keygen(c: &mut Criterion) {
    let mut g = c.benchmark_group("keygen");
    for (name, kt) in KEY_TYPES {
        if matches!(kt, KeyType::Rsa(_)) {
            g.sample_size(10);
        }
        g.bench_function(name, |b| b.iter(|| keys::generate(kt).unwrap()));
    }
    g.finish();
}

fn generate_process(c: &mut Criterion) {
    let exe = env!("CARGO_BIN_EXE_chainsmith");
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "bench-pw\n").unwrap();
    let out = dir.path().join("chain");
    let mut g = c.benchmark_group("generate");
    for (name, kt) in KEY_TYPES {
        if matches!(kt, KeyType::Rsa(_)) {
            g.sample_size(10);
        }
        g.bench_function(name, |b| {
            b.iter(|| {
                let st = Command::new(exe)
                    .args(["generate", "--quiet", "--force", "--key-type", name])
                    .args(["--san", "www.example.com", "--password-file"])
                    .arg(&pw)
                    .arg("-o")
                    .arg(&out)
                    .output()
                    .unwrap()
                    .status;
                assert!(st.success(), "generate --key-type {name} failed");
            })
        });
    }
    g.finish();
}

fn pfx(c: &mut Criterion) {
    let key = keys::generate(KeyType::EcP256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["www.example.com".to_owned()]).unwrap();
    let der = params.self_signed(&*key).unwrap().der().to_vec();
    let name: Arc<str> = Arc::from("bench");
    let certs = vec![Cert::parse(&der, Source::new(&name, 0, None, Container::Der)).unwrap()];
    let mut g = c.benchmark_group("pfx");
    for profile in [Profile::Compat, Profile::Modern] {
        let spec = PfxSpec {
            key: Some(&key),
            certs: &certs,
            name: None,
            profile,
        };
        let file = pkcs12::write(&spec, "bench-pw").unwrap();
        g.bench_function(format!("write {}", profile.name()), |b| {
            b.iter(|| pkcs12::write(black_box(&spec), "bench-pw").unwrap())
        });
        g.bench_function(format!("read {}", profile.name()), |b| {
            b.iter(|| pkcs12::read(black_box(&file), "bench-pw").unwrap())
        });
    }
    g.finish();
}

/// `n` self-signed CAs named "Same Subject CA", serials 1..=n, as one PEM
/// file: one shared key, or a key each; with SKI and AKI, or without AKI
/// (rcgen always writes an SKI for a CA; an empty one says nothing).
fn same_name_pile(n: usize, shared_key: bool, key_ids: bool) -> Vec<u8> {
    let shared = rcgen::KeyPair::generate().unwrap();
    let mut pem = String::new();
    for i in 0..n {
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "Same Subject CA");
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.serial_number = Some(rcgen::SerialNumber::from(i as u64 + 1));
        p.not_before = rcgen::date_time_ymd(2025, 1, 1);
        p.not_after = rcgen::date_time_ymd(2035, 1, 1);
        p.use_authority_key_identifier_extension = key_ids;
        if !key_ids {
            p.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(Vec::new());
        }
        let own;
        let key = if shared_key {
            &shared
        } else {
            own = rcgen::KeyPair::generate().unwrap();
            &own
        };
        pem.push_str(&p.self_signed(key).unwrap().pem());
    }
    pem.into_bytes()
}

/// `cas` same-name CAs with distinct keys and no key identifiers, and
/// `leaves` leaves without AKI issued by the last of them: every leaf has
/// `cas` candidate keys, so the shared check budget applies.
fn capped_pile(cas: usize, leaves: usize) -> Vec<u8> {
    let mut x = rcgen::CertificateParams::default();
    x.distinguished_name.push(rcgen::DnType::CommonName, "X");
    x.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    x.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(Vec::new());
    let keys: Vec<rcgen::KeyPair> = (0..cas)
        .map(|_| rcgen::KeyPair::generate().unwrap())
        .collect();
    let mut pem: String = keys
        .iter()
        .map(|k| x.self_signed(k).unwrap().pem())
        .collect();
    let issuer = rcgen::Issuer::from_params(&x, &keys[cas - 1]);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    for i in 0..leaves {
        let p = rcgen::CertificateParams::new(vec![format!("l{i}.example.com")]).unwrap();
        pem.push_str(&p.signed_by(&leaf_key, &issuer).unwrap().pem());
    }
    pem.into_bytes()
}

fn same_name(c: &mut Criterion) {
    let mut g = c.benchmark_group("same-name");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    let overrides = Overrides::build(&[]).unwrap();
    // Inside the piles' validity, so no finding depends on the day it runs.
    let now = time::macros::datetime!(2026-06-01 0:00 UTC);
    let piles = [
        ("lint 10000, one key", same_name_pile(10_000, true, true)),
        ("lint 10000, own keys", same_name_pile(10_000, false, true)),
        (
            "lint 10000, own keys, no AKI",
            same_name_pile(10_000, false, false),
        ),
        ("lint 1000 leaves, 100 keys, no AKI", capped_pile(100, 1000)),
    ];
    for (name, bytes) in piles {
        g.bench_function(name, |b| {
            lint_one(b, "pile.pem", Expect::Auto, now, &bytes, &overrides)
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = load_parse, chain_build, verify_sigs, lint_whole, keygen, generate_process, pfx, same_name
}
criterion_main!(benches);
