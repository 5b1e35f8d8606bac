//! Arbitrary bytes as an encrypted PKCS#8 key (`EncryptedPrivateKeyInfo`
//! DER) through the product's bounded path: the key-derivation limits, then
//! decryption with a fixed password, then the key parser.
#![no_main]
use std::path::Path;

use chainsmith::pki::keys;
use libfuzzer_sys::fuzz_target;
use zeroize::Zeroizing;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.key");
    let Ok(plain) = keys::decrypt_key(path, data, || Ok(Zeroizing::new("password".to_owned())))
    else {
        return;
    };
    let der = rustls_pki_types::PrivateKeyDer::Pkcs8(plain.as_slice().into());
    let _ = rcgen::KeyPair::try_from(&der);
});
