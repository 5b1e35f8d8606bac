//! `lint` end to end on arbitrary bytes: every rule over whatever the
//! loader makes of the input, under each intent, with a fixed clock.
#![no_main]
use std::sync::Arc;

use chainsmith::lint::config::Overrides;
use chainsmith::lint::engine::{self, EngineOptions, Input};
use chainsmith::lint::{Context, Expect};
use chainsmith::pki::chain::Verifier;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(overrides) = Overrides::build(&[]) else { return };
    let verifier = Verifier::new();
    let ctx = Context {
        now: time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000),
        warn_days: 30,
        host: Some("www.example.com".to_owned()),
        trust: &[],
        trust_given: false,
        keys: &[],
        verifier: &verifier,
    };
    let expect = match data.first().map(|b| b % 5) {
        Some(0) => Expect::CaBundle,
        Some(1) => Expect::ServerChain,
        Some(2) => Expect::ApimCa,
        Some(3) => Expect::Aks,
        _ => Expect::Auto,
    };
    let input = Input { path: Arc::from("fuzz.pem"), expect, expect_source: "--expect", bytes: data.to_vec() };
    let _ = engine::run(vec![input], &ctx, &EngineOptions::default(), &overrides);
});
