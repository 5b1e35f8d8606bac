//! A certification path validator: "would a client holding these anchors
//! trust this chain?". It takes trust anchors, an unordered pool of
//! intermediates (which may hold decoys, cycles and cross-signs), a target
//! and a validation time, and searches depth-first over alternative issuers
//! with a work budget, so pathological inputs end quickly.
//!
//! Checks on every certificate of a candidate path: validity at the given
//! time, signature, unknown critical and duplicate extensions, weak keys, and
//! the structural rules of RFC 5280 that strict verifiers (OpenSSL
//! `-x509_strict`, rustls-webpki) enforce. Issuers must be CAs
//! (basicConstraints CA:TRUE; criticality is the linter's CS306, as in
//! RFC 5280 §6.1.4 (k) and PKITS 4.6.4), with keyCertSign when keyUsage is
//! present, and their pathLenConstraint must hold (self-issued intermediates
//! do not count, RFC 5280 §6.1.4 (l)). Name constraints (DNS, IP, email,
//! URI host, directory name) are applied to the names below each
//! constraining CA, with a work cap; see `name_constraints`.
use ::time::OffsetDateTime;

use super::model::{Cert, format_time, label};

mod name_constraints;
mod search;

pub use name_constraints::check_name_constraints;
pub use search::{validate, validate_with};

/// What the validator is asked for.
#[derive(Debug, Clone)]
pub struct PathOptions {
    pub time: OffsetDateTime,
    /// Most intermediates a path may hold (`None`: the default limit).
    pub max_intermediates: Option<usize>,
    /// Check the target for TLS server use (EKU serverAuth when EKU is present).
    pub server: bool,
    /// keyUsage bits the target must have when it has a keyUsage extension.
    pub required_key_usage: u16,
    /// Signature checks and issuer candidates the search may try in total.
    pub budget: usize,
}

/// Where signature checks come from: a shared cache, or a fresh one.
#[derive(Clone, Copy)]
pub enum Sigs<'v> {
    Fresh,
    Shared(&'v super::chain::Verifier),
}

/// Intermediates allowed when no limit is given (webpki allows 6 sub-CAs;
/// real chains use 1-3).
pub const DEFAULT_MAX_INTERMEDIATES: usize = 8;
/// Candidate steps one validation may take.
pub const DEFAULT_BUDGET: usize = 256;

impl PathOptions {
    pub fn new(time: OffsetDateTime) -> Self {
        PathOptions {
            time,
            max_intermediates: None,
            server: true,
            required_key_usage: 0,
            budget: DEFAULT_BUDGET,
        }
    }
}

/// The answer: trusted or not, the path found (target first, anchor last),
/// and a reason a person can act on.
#[derive(Debug, Clone)]
pub struct Verdict<'a> {
    pub trusted: bool,
    pub path: Vec<&'a Cert>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Target,
    /// An issuer with this many non-self-issued intermediates below it.
    Issuer {
        below: usize,
        anchor: bool,
    },
}

/// Light RFC 5280 §7.1 name comparison: case-insensitive, internal runs of
/// spaces collapsed, spaces around attribute values ignored.
fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace(" ,", ",")
        .replace("= ", "=")
}

/// Why a candidate path was refused. The Display text is the reason a
/// person reads (in reports, JSON and SARIF), so it must stay stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A check on one certificate failed; `cert` is its label.
    #[error("{cert}: {why}")]
    Cert { cert: String, why: Box<PathError> },
    #[error("not valid before {}", format_time(*.0))]
    NotYetValid(OffsetDateTime),
    #[error("expired on {}", format_time(*.0))]
    Expired(OffsetDateTime),
    #[error("the signature of {cert} cannot be checked: {why}")]
    SignatureUnchecked { cert: String, why: String },
    #[error("the signature of {cert} does not verify with the key of {issuer}")]
    BadSignature { cert: String, issuer: String },
    #[error("no issuer `{issuer}` of {cert} is in the chain or the trust store{aki}")]
    NoIssuer {
        issuer: String,
        cert: String,
        /// ` (AKI 0a1b…)` or empty.
        aki: String,
    },
    #[error("path search gave up: too many candidate issuers (work budget exhausted)")]
    BudgetExhausted,
    #[error("issuers of {0} loop back into the path")]
    Loop(String),
    #[error("the path needs more than {0} intermediate certificates")]
    TooLong(usize),
    /// A structural rule of RFC 5280 or a strict verifier the certificate
    /// breaks (key, extensions, basicConstraints, keyUsage...).
    #[error("{0}")]
    Refused(String),
    /// The name constraints of `ca` reject a name of `cert`.
    #[error("{cert}: the nameConstraints of {ca} reject it: {why}")]
    NameRejected {
        cert: String,
        ca: String,
        why: String,
    },
    /// A name constraints extension that cannot be applied (`cert` is the CA).
    #[error("{cert}: {why}")]
    NameConstraints { cert: String, why: String },
}

impl PathError {
    /// The same failure, prefixed with the label of the certificate it is about.
    pub(crate) fn of(c: &Cert, why: PathError) -> PathError {
        PathError::Cert {
            cert: label(c),
            why: Box::new(why),
        }
    }
}

impl From<&str> for PathError {
    fn from(s: &str) -> Self {
        PathError::Refused(s.to_owned())
    }
}
impl From<String> for PathError {
    fn from(s: String) -> Self {
        PathError::Refused(s)
    }
}
