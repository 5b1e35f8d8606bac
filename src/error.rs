//! Typed errors of the `pki` layer. Each names the file (and line) involved.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{path}: {size} bytes is over the {limit}-byte input limit")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{path}: no certificate found (not PEM, DER, PKCS#7 or PKCS#12)")]
    Unreadable { path: String },
    #[error("{path}: the file is empty")]
    Empty { path: String },
    #[error("{path}:{line}: {reason}")]
    Malformed {
        path: String,
        line: usize,
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: cannot read: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "{path}: no private key found (expected a PEM PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY or ENCRYPTED PRIVATE KEY block)"
    )]
    NoKey { path: PathBuf },
    #[error("{path}: the key is encrypted and no password was given")]
    NeedPassword { path: PathBuf },
    #[error("{path}: cannot decrypt the key: wrong password or unsupported encryption")]
    Decrypt { path: PathBuf },
    #[error(
        "{path}: traditional OpenSSL key encryption (Proc-Type/DEK-Info) is not supported; convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
    )]
    LegacyEncryption { path: PathBuf },
    #[error("{path}: unsupported or malformed private key: {reason}")]
    Unsupported { path: PathBuf, reason: String },
    /// A bound of `crate::limits` (key file size, key derivation cost).
    #[error("{path}: {limit}")]
    Limit {
        path: PathBuf,
        limit: crate::limits::LimitError,
    },
}

impl KeyError {
    /// The error as the command that owns the password flags reports it:
    /// a missing password names `flags`, the ways to give one.
    pub fn or_give_password_with(self, flags: &str) -> anyhow::Error {
        match self {
            KeyError::NeedPassword { .. } => anyhow::anyhow!("{self}; give it with {flags}"),
            other => other.into(),
        }
    }
}

/// The flags of the usual `--password-*` group.
pub const PASSWORD_FLAGS: &str = "--password-file, --password-env or --password-stdin";

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: already exists; pass --force to overwrite")]
    Exists { path: PathBuf },
    #[error("{second}: is the same file as {first}; two outputs cannot share a file")]
    SameTarget { first: PathBuf, second: PathBuf },
    #[error("{path}: cannot write: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}
