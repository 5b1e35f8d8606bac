//! Arbitrary sets of certificates through the chain builder: the input is
//! loaded as a pile (so PEM bundles from the seed corpus stay meaningful),
//! then linked, ordered and walked.
#![no_main]
use chainsmith::pki::chain::{Graph, Verifier};
use chainsmith::pki::load::{LoadOptions, load_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = load_bytes("fuzz", data, &LoadOptions::default());
    let verifier = Verifier::new();
    let graph = Graph::build(&f.certs, &verifier);
    let chains = graph.chains();
    let covered: usize = chains.iter().map(|(p, _)| p.len()).sum();
    assert!(covered <= f.certs.len());
    for i in 0..f.certs.len() {
        let _ = graph.path_up(i);
    }
});
