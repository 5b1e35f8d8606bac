//! Every bound chainsmith puts on what it reads, in one table. A hostile
//! input (a huge file, a FIFO, `/dev/zero`, a key-derivation count of four
//! billion) hits one of these and gives a one-line error that names the
//! limit and the file, exit 2, before the expensive work starts.
//!
//! The values, where each applies and the measured cost at the limit are in
//! docs/robustness.md ("Limits"). Change a value here and there together.

use std::borrow::Cow;

// ------------------------------------------------------------ sizes

/// Certificate inputs (PEM, DER, PKCS#7, PKCS#12, trust stores) larger than
/// this are refused; regular files before they are read, streams at the cap.
pub const MAX_INPUT_BYTES: u64 = 32 * 1024 * 1024;

/// PEM files with more blocks than this stop being read (the rest is reported).
pub const MAX_PEM_BLOCKS: usize = 50_000;

/// Elements of a binary input that are read: certificates of a
/// concatenated DER file or of a PKCS#7 set, and the safes and bags of a
/// PKCS#12 file (all levels together). The rest is reported, not read: a
/// 32 MiB file of two-byte empty SEQUENCEs used to take 3 minutes and 10 GB.
pub const MAX_DER_ELEMENTS: usize = 50_000;

/// A password (the first line of `--password-file`, `--password-env` or
/// `--password-stdin`). Reading stops here, so `/dev/zero` or a FIFO that
/// never sends a newline cannot grow memory.
pub const MAX_PASSWORD_BYTES: u64 = 4 * 1024;

/// A private key file (`issue --ca-key`, `issue --key`, `export`'s server
/// key). An RSA-16384 PKCS#8 PEM is about 13 KB; a megabyte is generous.
pub const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

/// `.chainsmith.toml` (`lint --config`, or found upward from the working
/// directory). Real ones are a few KB; at the limit the worst globs measured
/// (1,000 of `{**/a,…}` or 250 `*`) compile in under a second and 200 MB.
pub const MAX_CONFIG_BYTES: u64 = 256 * 1024;

/// Entries of a `.chainsmith.toml` taken together: rule keys (`allow`,
/// `warn`, `deny`) and globs (`ignore`, `include`, `[expect]`). Checked
/// before any glob is compiled.
pub const MAX_CONFIG_PATTERNS: usize = 1_000;

/// `probe --targets FILE`: one target per line; a real fleet file is a
/// few KB. Read at most this much, and at most [`MAX_PROBE_TARGETS`] targets.
pub const MAX_TARGETS_FILE_BYTES: u64 = 1024 * 1024;

/// Targets of one `probe` run (arguments and `--targets` together).
pub const MAX_PROBE_TARGETS: usize = 10_000;

/// Characters of a value from an input echoed in an error message (an
/// unknown rule key, a bad glob); longer values are cut and end with `…`.
pub const MAX_ECHOED_CHARS: usize = 80;

/// Characters of a parser's message about an input (it may quote the input).
pub const MAX_ECHOED_MESSAGE_CHARS: usize = 240;

// ------------------------------------------------------------ key derivation (reading)

/// Iterations of one password-based key derivation when reading: PBKDF2
/// (PBES2), PBES1, the PKCS#12 KDF of a PFX's MAC and of its PBE-encrypted
/// bags. GnuTLS writes 600,000 (MAC and bags), chainsmith's own encrypted
/// keys use 600,000; about 1 s of work at the limit.
pub const MAX_KDF_ITERATIONS: u64 = 2_000_000;

/// Iterations of all key derivations one PKCS#12 file needs (its MAC, every
/// encrypted safe and every bag that names a derivation, whatever its type),
/// counted before the first derivation runs. With an empty password the
/// PKCS#12-KDF steps count twice: both encodings of an empty password are tried.
pub const MAX_PKCS12_TOTAL_ITERATIONS: u64 = 4_000_000;

/// Memory of one scrypt derivation, 128·N·r bytes (OpenSSL's default,
/// N=2^14 r=8, is 16 MiB; N=2^16 r=8 is the limit).
pub const MAX_SCRYPT_MEMORY_BYTES: u64 = 64 * 1024 * 1024;

/// Work of scrypt, N·r·p (OpenSSL's default is 2^17), for one derivation and
/// for all the scrypt derivations of one PKCS#12 file together.
pub const MAX_SCRYPT_WORK: u64 = 1 << 22;

/// Depth of SafeContents nested in a PKCS#12 safeContentsBag. No known tool
/// nests at all; the bound keeps the walk from recursing on crafted input.
pub const MAX_PKCS12_NESTING: usize = 8;

// ------------------------------------------------------------ targets' limits (lint only)

/// .NET's `Pkcs12LoaderLimits` defaults (X509CertificateLoader, .NET 9 and
/// the patched earlier runtimes): the MAC's iterations. Rule CS406.
pub const DOTNET_MAC_ITERATIONS: u64 = 300_000;
/// .NET: iterations of any one bag's key derivation. Rule CS406.
pub const DOTNET_KDF_ITERATIONS: u64 = 300_000;
/// .NET: iterations of all bag key derivations together (the MAC is not
/// counted). Rule CS406.
pub const DOTNET_TOTAL_KDF_ITERATIONS: u64 = 1_000_000;

// ------------------------------------------------------------ checks

/// One password-based key derivation, as an input's parameters describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// PBKDF2 (PBES2).
    Pbkdf2 { iterations: u64 },
    /// The PKCS#12 KDF (RFC 7292 appendix B): a PFX's MAC and its
    /// `pbeWithSHAAnd…` bags.
    Pkcs12 { iterations: u64 },
    /// PBES1 (`pbeWithMD5AndDES-CBC` and the like), or an unknown scheme
    /// whose parameters carry an iteration count.
    Pbes1 { iterations: u64 },
    /// scrypt (PBES2).
    Scrypt { n: u64, r: u64, p: u64 },
}

impl Kdf {
    pub fn name(self) -> &'static str {
        match self {
            Kdf::Pbkdf2 { .. } => "PBKDF2",
            Kdf::Pkcs12 { .. } => "the PKCS#12 KDF",
            Kdf::Pbes1 { .. } => "PBES1",
            Kdf::Scrypt { .. } => "scrypt",
        }
    }

    /// The iteration count of an iterated derivation (0 for scrypt).
    pub fn iterations(self) -> u64 {
        match self {
            Kdf::Pbkdf2 { iterations } | Kdf::Pkcs12 { iterations } | Kdf::Pbes1 { iterations } => {
                iterations
            }
            Kdf::Scrypt { .. } => 0,
        }
    }

    /// scrypt's N·r·p (0 for the iterated derivations).
    pub fn scrypt_work(self) -> u64 {
        match self {
            Kdf::Scrypt { n, r, p } => n.saturating_mul(r).saturating_mul(p),
            _ => 0,
        }
    }

    /// Check one derivation against the per-derivation limits.
    pub fn check(self) -> Result<(), LimitError> {
        match self {
            Kdf::Scrypt { n, r, p } => {
                // N=0 made the `pkcs5` crate panic (its log2 of N overflows).
                if !n.is_power_of_two() {
                    return Err(LimitError::ScryptCost { n });
                }
                let memory = 128u64.saturating_mul(n).saturating_mul(r);
                if memory > MAX_SCRYPT_MEMORY_BYTES {
                    return Err(LimitError::ScryptMemory {
                        n,
                        r,
                        bytes: memory,
                        limit: MAX_SCRYPT_MEMORY_BYTES,
                    });
                }
                if self.scrypt_work() > MAX_SCRYPT_WORK {
                    return Err(LimitError::ScryptWork {
                        n,
                        r,
                        p,
                        limit: MAX_SCRYPT_WORK,
                    });
                }
                Ok(())
            }
            other if other.iterations() > MAX_KDF_ITERATIONS => Err(LimitError::KdfIterations {
                kdf: other.name(),
                count: other.iterations(),
                limit: MAX_KDF_ITERATIONS,
            }),
            _ => Ok(()),
        }
    }
}

/// A limit that was hit. The caller puts the file in front.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error(
        "{kdf} with {count} iterations is over the limit of {limit} iterations per key derivation (refused before deriving)"
    )]
    KdfIterations {
        kdf: &'static str,
        count: u64,
        limit: u64,
    },
    #[error(
        "its key derivations need {count} iterations in all, over the limit of {limit} per PKCS#12 file (refused before deriving)"
    )]
    TotalIterations { count: u64, limit: u64 },
    #[error(
        "scrypt with N={n}, r={r} needs {bytes} bytes of memory, over the limit of {limit} bytes (128*N*r; refused before deriving)"
    )]
    ScryptMemory {
        n: u64,
        r: u64,
        bytes: u64,
        limit: u64,
    },
    #[error(
        "scrypt with N={n} cannot be derived: N must be a power of two (refused before deriving)"
    )]
    ScryptCost { n: u64 },
    #[error(
        "scrypt with N={n}, r={r}, p={p} is over the work limit of {limit} (N*r*p; refused before deriving)"
    )]
    ScryptWork { n: u64, r: u64, p: u64, limit: u64 },
    #[error(
        "its scrypt derivations need N*r*p = {work} in all, over the limit of {limit} per PKCS#12 file (refused before deriving)"
    )]
    ScryptTotalWork { work: u64, limit: u64 },
    #[error("more than {limit} safes and bags are over the limit per PKCS#12 file")]
    Pkcs12Elements { limit: usize },
    #[error("safe contents nested more than {limit} deep are over the nesting limit")]
    Pkcs12Nesting { limit: usize },
    #[error("{what} is over the limit of {limit} bytes")]
    TooLarge { what: &'static str, limit: u64 },
    #[error("{count} rule keys and globs are over the limit of {limit} per configuration file")]
    TooManyPatterns { count: usize, limit: usize },
}

/// A value from an input, fit to be echoed in a one-line message: control
/// characters escaped, cut to [`MAX_ECHOED_CHARS`] characters plus `…`.
pub fn echo(value: &str) -> String {
    cut(value, MAX_ECHOED_CHARS)
}

/// A parser's message about an input, escaped and cut to
/// [`MAX_ECHOED_MESSAGE_CHARS`] characters plus `…`.
pub fn echo_message(message: &str) -> String {
    cut(message, MAX_ECHOED_MESSAGE_CHARS)
}

fn cut(value: &str, max: usize) -> String {
    // Cut before escaping so that an escape sequence is never split, and
    // never scan more of a huge value than needed.
    let head: Cow<'_, str> = match value.char_indices().nth(max) {
        Some((at, _)) => Cow::Owned(format!("{}…", &value[..at])),
        None => Cow::Borrowed(value),
    };
    crate::report::escape(&head).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_values_are_cut_and_escaped() {
        assert_eq!(echo("CS999"), "CS999");
        let long = "x".repeat(20_000_000);
        let shown = echo(&long);
        assert_eq!(shown.chars().count(), MAX_ECHOED_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(echo("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        // Multi-byte characters are cut on a character boundary.
        let wide = "é".repeat(100);
        assert_eq!(echo(&wide).chars().count(), MAX_ECHOED_CHARS + 1);
        assert!(echo_message(&long).len() < 1000);
    }

    #[test]
    fn iterated_derivations_are_bounded_per_derivation() {
        assert!(
            Kdf::Pbkdf2 {
                iterations: MAX_KDF_ITERATIONS
            }
            .check()
            .is_ok()
        );
        let over = Kdf::Pbkdf2 {
            iterations: u64::from(u32::MAX),
        };
        let err = over.check().unwrap_err();
        assert!(
            matches!(err, LimitError::KdfIterations { count, .. } if count == u64::from(u32::MAX))
        );
        assert!(
            err.to_string()
                .contains("2000000 iterations per key derivation")
        );
        assert!(
            Kdf::Pkcs12 {
                iterations: MAX_KDF_ITERATIONS + 1
            }
            .check()
            .is_err()
        );
        assert!(
            Kdf::Pbes1 {
                iterations: u64::MAX
            }
            .check()
            .is_err()
        );
    }

    fn scrypt(n: u64, r: u64, p: u64) -> Result<(), LimitError> {
        Kdf::Scrypt { n, r, p }.check()
    }

    #[test]
    fn scrypt_is_bounded_by_memory_and_work() {
        // OpenSSL's default and the largest memory allowed.
        assert!(scrypt(1 << 14, 8, 1).is_ok());
        assert!(scrypt(1 << 16, 8, 1).is_ok());
        assert!(matches!(
            scrypt(1 << 20, 8, 1),
            Err(LimitError::ScryptMemory { .. })
        ));
        assert!(matches!(
            scrypt(1 << 40, 8, 1),
            Err(LimitError::ScryptMemory { .. })
        ));
        assert!(matches!(
            scrypt(1 << 63, u64::MAX, u64::MAX),
            Err(LimitError::ScryptMemory { .. })
        ));
        assert!(matches!(
            scrypt(1 << 14, 8, 65_535),
            Err(LimitError::ScryptWork { .. })
        ));
        // Found by the `pkcs8` fuzz target: N=0 panicked in the `pkcs5` crate.
        for n in [0, 3, 1000] {
            assert!(matches!(
                scrypt(n, 1, 1),
                Err(LimitError::ScryptCost { .. })
            ));
        }
        assert!(scrypt(1, 1, 1).is_ok());
    }
}
