//! Arbitrary bytes as a PKCS#12 file with a fixed password, and through the
//! password-free algorithm sniffing used by the CS4xx rules.
#![no_main]
use chainsmith::pki::pkcs12;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pkcs12::encryption_algorithms(data);
    let _ = pkcs12::read(data, "password");
});
