//! Arbitrary bytes through the loader: PEM, DER, concatenated DER, PKCS#7,
//! PKCS#12 sniffing. It must never panic, hang or allocate without bound.
#![no_main]
use chainsmith::pki::load::{LoadOptions, load_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = load_bytes("fuzz", data, &LoadOptions::default());
    for c in &f.certs {
        let _ = c.role();
        let _ = c.common_name();
        let _ = c.to_pem();
    }
});
