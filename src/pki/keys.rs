//! Private keys: generation, reading (PKCS#8, PKCS#1, SEC1, encrypted
//! PKCS#8), writing as PKCS#8 (optionally PBES2-encrypted), and matching a
//! key to a certificate. Key bytes live in zeroizing buffers and are never
//! formatted into messages.
use std::path::Path;

use pkcs8::der::{Decode, Encode};
use rcgen::{
    KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519, PKCS_RSA_SHA256,
};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use zeroize::Zeroizing;

use super::model::{Cert, KeyKind};
use crate::error::{KeyError, LoadError};
use crate::limits::{LimitError, MAX_KEY_FILE_BYTES};
use crate::secret::PasswordSource;

/// PBKDF2-SHA256 iterations for encrypted keys (OWASP's 2023 figure).
pub const PBKDF2_ITERATIONS: u32 = 600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    EcP256,
    EcP384,
    Ed25519,
    Rsa(usize),
}

impl KeyType {
    pub fn name(self) -> String {
        match self {
            KeyType::EcP256 => "ec-p256".into(),
            KeyType::EcP384 => "ec-p384".into(),
            KeyType::Ed25519 => "ed25519".into(),
            KeyType::Rsa(bits) => format!("rsa-{bits}"),
        }
    }

    /// The key type of an existing certificate's key, when we can make one like it.
    pub fn like(kind: &KeyKind) -> Option<KeyType> {
        match kind {
            KeyKind::Rsa { bits } if *bits >= 4096 => Some(KeyType::Rsa(4096)),
            KeyKind::Rsa { bits } if *bits >= 3072 => Some(KeyType::Rsa(3072)),
            KeyKind::Rsa { .. } => Some(KeyType::Rsa(2048)),
            KeyKind::Ec {
                curve: super::model::Curve::P384,
                ..
            } => Some(KeyType::EcP384),
            KeyKind::Ec { .. } => Some(KeyType::EcP256),
            KeyKind::Ed25519 => Some(KeyType::Ed25519),
            _ => None,
        }
    }
}

/// Generate a key pair.
/// A key pair whose private key bytes are wiped when it is dropped
/// (rcgen's `KeyPair` keeps its PKCS#8 DER in a plain `Vec`).
pub type Key = zeroize::Zeroizing<KeyPair>;

pub fn generate(kt: KeyType) -> Result<Key, rcgen::Error> {
    let pair = match kt {
        KeyType::EcP256 => KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256),
        KeyType::EcP384 => KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384),
        KeyType::Ed25519 => KeyPair::generate_for(&PKCS_ED25519),
        KeyType::Rsa(bits) => {
            let size = match bits {
                2048 => rcgen::RsaKeySize::_2048,
                3072 => rcgen::RsaKeySize::_3072,
                _ => rcgen::RsaKeySize::_4096,
            };
            KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, size)
        }
    }?;
    Ok(zeroize::Zeroizing::new(pair))
}

/// The key as PKCS#8 DER. Ed25519 keys are re-encoded as PKCS#8 v1 (no
/// embedded public key): OpenSSL 3.0 cannot read the v2 form.
pub fn pkcs8_der(key: &KeyPair) -> Zeroizing<Vec<u8>> {
    let der = Zeroizing::new(key.serialize_der());
    if key.algorithm() == &PKCS_ED25519
        && let Ok(info) = pkcs8::PrivateKeyInfoRef::from_der(&der)
    {
        let mut v1 = info.clone();
        v1.public_key = None;
        if let Ok(out) = v1.to_der() {
            return Zeroizing::new(out);
        }
    }
    der
}

/// The key as PKCS#8 PEM, PBES2 (PBKDF2-SHA256, AES-256-CBC) encrypted
/// when a password is given.
pub fn to_pem(key: &KeyPair, password: Option<&str>) -> Result<Zeroizing<String>, String> {
    let der = pkcs8_der(key);
    match password {
        None => Ok(Zeroizing::new(super::encode::pem_block(
            "PRIVATE KEY",
            &der,
        ))),
        Some(pw) => {
            let enc = encrypt_pkcs8(&der, pw)?;
            Ok(Zeroizing::new(super::encode::pem_block(
                "ENCRYPTED PRIVATE KEY",
                &enc,
            )))
        }
    }
}

fn encrypt_pkcs8(der: &[u8], password: &str) -> Result<Vec<u8>, String> {
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| "random number generator failed".to_owned())?;
    aws_lc_rs::rand::fill(&mut iv).map_err(|_| "random number generator failed".to_owned())?;
    let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
        PBKDF2_ITERATIONS,
        &salt,
        iv,
    )
    .map_err(|e| format!("PBES2 parameters: {e}"))?;
    let info = pkcs8::PrivateKeyInfoRef::from_der(der).map_err(|e| format!("PKCS#8: {e}"))?;
    let doc = info
        .encrypt_with_params(params, password.as_bytes())
        .map_err(|e| format!("encryption failed: {e}"))?;
    Ok(doc.as_bytes().to_vec())
}

/// Read a private key file. Encrypted PKCS#8 keys take a password from
/// `password` (or a prompt on a TTY).
pub fn read_key(path: &Path, password: &PasswordSource, what: &str) -> Result<Key, KeyError> {
    let bytes = Zeroizing::new(read_key_file(path)?);
    let loaded = super::load::load_bytes(&path.display().to_string(), &bytes, &Default::default());
    let block = loaded
        .keys
        .into_iter()
        .next()
        .ok_or_else(|| KeyError::NoKey {
            path: path.to_path_buf(),
        })?;
    key_from_block(
        path,
        &block.label,
        &block.der,
        block.encrypted,
        password,
        what,
    )
}

/// A key file's bytes, at most [`MAX_KEY_FILE_BYTES`]: a huge file, a FIFO
/// or `/dev/zero` is refused at the limit.
pub fn read_key_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    super::load::read_limited_to(path, MAX_KEY_FILE_BYTES).map_err(|e| match e {
        LoadError::TooLarge { .. } => KeyError::Limit {
            path: path.to_path_buf(),
            limit: LimitError::TooLarge {
                what: "the key file",
                limit: MAX_KEY_FILE_BYTES,
            },
        },
        LoadError::Io { cause, .. } => KeyError::Io {
            path: path.to_path_buf(),
            cause,
        },
        other => KeyError::Unsupported {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// Refuse an encrypted PKCS#8 key (`EncryptedPrivateKeyInfo` DER) whose key
/// derivation is over the limits of [`crate::limits`]: PBKDF2 iterations,
/// scrypt memory and work, and the iteration count of PBES1 or any other
/// scheme whose parameters carry one. Call it before asking for the
/// password; nothing is derived here.
pub fn check_encrypted_key(path: &Path, der: &[u8]) -> Result<(), KeyError> {
    use super::der::{SEQUENCE, read};
    let alg = read(der)
        .filter(|(epki, _)| epki.tag == SEQUENCE)
        .and_then(|(epki, _)| read(epki.value))
        .filter(|(alg, _)| alg.tag == SEQUENCE);
    if let Some((alg, _)) = alg
        && let Some(kdf) = super::pkcs12::kdf_of_algorithm(alg.value)
    {
        kdf.check().map_err(|limit| KeyError::Limit {
            path: path.to_path_buf(),
            limit,
        })?;
    }
    Ok(())
}

/// Decrypt an encrypted PKCS#8 key (`EncryptedPrivateKeyInfo` DER) into
/// PKCS#8 DER. Its key derivation is checked against the limits, and its
/// structure parsed, before `password` is called (a prompt comes only for
/// a key that can be decrypted) and before any derivation.
pub fn decrypt_key(
    path: &Path,
    der: &[u8],
    password: impl FnOnce() -> Result<crate::secret::Password, KeyError>,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    check_encrypted_key(path, der)?;
    let info =
        pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).map_err(|e| KeyError::Unsupported {
            path: path.to_path_buf(),
            reason: format!("encrypted PKCS#8: {e}"),
        })?;
    let pw = password()?;
    let doc = info.decrypt(pw.as_bytes()).map_err(|_| KeyError::Decrypt {
        path: path.to_path_buf(),
    })?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}

/// Turn one key block into a key pair, decrypting it when needed.
pub fn key_from_block(
    path: &Path,
    label: &str,
    der: &[u8],
    encrypted: bool,
    password: &PasswordSource,
    what: &str,
) -> Result<Key, KeyError> {
    let unsupported = |reason: String| KeyError::Unsupported {
        path: path.to_path_buf(),
        reason,
    };
    if encrypted && label != "ENCRYPTED PRIVATE KEY" {
        return Err(KeyError::LegacyEncryption {
            path: path.to_path_buf(),
        });
    }
    let plain: Zeroizing<Vec<u8>>;
    let key_der: PrivateKeyDer<'_> = match label {
        "ENCRYPTED PRIVATE KEY" => {
            plain = decrypt_key(path, der, || {
                password
                    .read(&format!("password for {what} ({})", path.display()), false)
                    .map_err(|e| unsupported(format!("{e:#}")))?
                    .ok_or_else(|| KeyError::NeedPassword {
                        path: path.to_path_buf(),
                    })
            })?;
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(plain.as_slice()))
        }
        "PRIVATE KEY" | "PKCS#12 key bag" => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
        "RSA PRIVATE KEY" => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        "EC PRIVATE KEY" => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        other => return Err(unsupported(format!("`{other}` keys are not supported"))),
    };
    KeyPair::try_from(&key_der)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| unsupported(e.to_string()))
}

/// Does `key` belong to `cert`?
pub fn matches(cert: &Cert, key: &KeyPair) -> bool {
    key.public_key_raw() == cert.public_key.as_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_is_written_as_pkcs8_v1() {
        let k = generate(KeyType::Ed25519).unwrap();
        let der = pkcs8_der(&k);
        // v1: SEQUENCE { INTEGER 0, ... } and 48 bytes long.
        assert_eq!(der.len(), 48);
        assert_eq!(&der[..5], &[0x30, 0x2e, 0x02, 0x01, 0x00]);
    }

    #[test]
    fn a_costly_key_is_refused_before_the_password_is_asked_for() {
        let k = generate(KeyType::EcP256).unwrap();
        let der = pkcs8_der(&k);
        let info = pkcs8::PrivateKeyInfoRef::from_der(&der).unwrap();
        let encrypt = |iterations: u32| {
            let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
                iterations, &[1; 16], [2; 16],
            )
            .unwrap();
            info.encrypt_with_params(params, b"pw")
                .unwrap()
                .as_bytes()
                .to_vec()
        };
        let p = Path::new("k.key");
        // Within the limit: decrypts with the password given.
        let plain = decrypt_key(p, &encrypt(1000), || Ok(Zeroizing::new("pw".into()))).unwrap();
        assert_eq!(plain.as_slice(), der.as_slice());
        // Over it: refused, and the password is never asked for.
        let over = u32::try_from(crate::limits::MAX_KDF_ITERATIONS + 1).unwrap();
        let asked = std::cell::Cell::new(false);
        let err = decrypt_key(p, &encrypt(over), || {
            asked.set(true);
            Ok(Zeroizing::new("pw".into()))
        })
        .unwrap_err();
        assert!(matches!(err, KeyError::Limit { .. }), "{err}");
        assert!(!asked.get());
        assert!(
            err.to_string()
                .starts_with("k.key: PBKDF2 with 2000001 iterations")
        );
    }

    #[test]
    fn encrypted_key_round_trips() {
        let k = generate(KeyType::EcP256).unwrap();
        let pem = to_pem(&k, Some("pw")).unwrap();
        assert!(pem.contains("ENCRYPTED PRIVATE KEY"));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        std::fs::write(&p, pem.as_bytes()).unwrap();
        let env = "CHAINSMITH_TEST_KEY_PW";
        // SAFETY-free: tests in this module are the only users of this variable.
        let src = PasswordSource {
            file: None,
            env: None,
            stdin: false,
        };
        assert!(matches!(
            read_key(&p, &src, "key"),
            Err(KeyError::NeedPassword { .. })
        ));
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, "pw\n").unwrap();
        let src = PasswordSource {
            file: Some(pwfile.clone()),
            env: None,
            stdin: false,
        };
        let back = read_key(&p, &src, "key").unwrap();
        assert_eq!(back.public_key_raw(), k.public_key_raw());
        std::fs::write(&pwfile, "wrong\n").unwrap();
        assert!(matches!(
            read_key(&p, &src, "key"),
            Err(KeyError::Decrypt { .. })
        ));
        let _ = env;
    }
}
