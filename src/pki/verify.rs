//! Signature checks of a certificate against an issuer's key, with aws-lc-rs.
//! Legacy RSA sizes (1024+) and SHA-1 are accepted for verification; the
//! linter reports them as weak instead of calling the link broken.
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use super::model::{Cert, Curve, Hash, KeyKind, SigKind};

/// The outcome of checking one child against one issuer key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SigCheck {
    Valid,
    Invalid,
    /// Algorithm or key type we cannot verify (MD5, DSA, GOST, ...).
    Unsupported(String),
}

/// Check `child`'s signature with `issuer`'s public key.
pub fn check(child: &Cert, issuer: &Cert) -> SigCheck {
    let alg = match algorithm(child, &issuer.key) {
        Ok(a) => a,
        Err(why) => return SigCheck::Unsupported(why),
    };
    let key = UnparsedPublicKey::new(alg, &issuer.public_key);
    match key.verify(child.tbs_bytes(), &child.signature) {
        Ok(()) => SigCheck::Valid,
        Err(_) => SigCheck::Invalid,
    }
}

fn algorithm(child: &Cert, key: &KeyKind) -> Result<&'static dyn VerificationAlgorithm, String> {
    let sig = &child.sig_alg;
    let unsupported = || {
        Err(format!(
            "cannot verify {} signatures with a {} key",
            sig, key
        ))
    };
    let alg: &'static dyn VerificationAlgorithm = match (sig.kind, sig.hash, key) {
        (SigKind::RsaPkcs1, Some(h), KeyKind::Rsa { .. }) => match h {
            Hash::Sha1 => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            Hash::Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Hash::Sha512 => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            _ => return unsupported(),
        },
        (SigKind::RsaPss, Some(h), KeyKind::Rsa { .. }) => match h {
            Hash::Sha256 => &signature::RSA_PSS_2048_8192_SHA256,
            Hash::Sha384 => &signature::RSA_PSS_2048_8192_SHA384,
            Hash::Sha512 => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return unsupported(),
        },
        (SigKind::Ecdsa, Some(h), KeyKind::Ec { curve, .. }) => match (curve, h) {
            (Curve::P256, Hash::Sha1) => &signature::ECDSA_P256_SHA1_ASN1,
            (Curve::P256, Hash::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
            (Curve::P256, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
            (Curve::P256, Hash::Sha512) => &signature::ECDSA_P256_SHA512_ASN1,
            (Curve::P384, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
            (Curve::P384, Hash::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
            (Curve::P384, Hash::Sha512) => &signature::ECDSA_P384_SHA512_ASN1,
            (Curve::P521, Hash::Sha1) => &signature::ECDSA_P521_SHA1_ASN1,
            (Curve::P521, Hash::Sha224) => &signature::ECDSA_P521_SHA224_ASN1,
            (Curve::P521, Hash::Sha256) => &signature::ECDSA_P521_SHA256_ASN1,
            (Curve::P521, Hash::Sha384) => &signature::ECDSA_P521_SHA384_ASN1,
            (Curve::P521, Hash::Sha512) => &signature::ECDSA_P521_SHA512_ASN1,
            _ => return unsupported(),
        },
        (SigKind::Ed25519, _, KeyKind::Ed25519) => &signature::ED25519,
        _ => return unsupported(),
    };
    Ok(alg)
}
