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
    // Every distinct certificate is in some chain, and no chain starts with
    // a certificate an earlier chain already showed.
    let mut seen = vec![false; f.certs.len()];
    for (path, _) in &chains {
        assert!(!path.is_empty());
        assert!(!seen[path[0]], "a chain starts at an already shown certificate");
        for &i in path {
            seen[i] = true;
        }
    }
    for i in 0..f.certs.len() {
        assert!(graph.canonical[i] != i || seen[i], "certificate {i} is in no chain");
    }
    for i in 0..f.certs.len() {
        let _ = graph.path_up(i);
    }
});
