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
        g.bench_function(name, |b| {
            b.iter_batched(
                || bytes.clone(),
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
                    };
                    let input = Input {
                        path: Arc::from(name),
                        expect,
                        expect_source: "--expect",
                        bytes,
                    };
                    engine::run(vec![input], &ctx, &EngineOptions::default(), &overrides)
                },
                BatchSize::LargeInput,
            )
        });
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
    let der = params.self_signed(&key).unwrap().der().to_vec();
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

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = load_parse, chain_build, verify_sigs, lint_whole, keygen, generate_process, pfx
}
criterion_main!(benches);
