//! The lint engine's vocabulary: rules and their metadata, findings,
//! severities, the intent of a file, and the context rules run in.
//!
//! Rules are pure: `check(&Bundle, &Context) -> Vec<Finding>`. The clock
//! comes from `Context::now`; no rule reads the system clock.
use std::fmt;
use std::sync::Arc;

use ::time::OffsetDateTime;

use crate::pki::chain::{Graph, Verifier};
use crate::pki::load::LoadedFile;
use crate::pki::model::Cert;

pub mod appservice;
pub mod config;
pub mod engine;
pub mod input;
pub mod links;
pub mod order;
pub mod registry;
pub mod rollover;
pub mod target;
pub mod usage;
pub mod validity;

/// How serious a finding is. Maps 1:1 to SARIF levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a rule is in force. Retired rules keep their code forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Removed,
}

/// Everything the registry, `rules`, the docs and SARIF know about a rule.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub default_severity: Severity,
    pub citation: Option<&'static str>,
    /// Why the rule exists, in a few sentences.
    pub explanation: &'static str,
    /// The one-line fix printed with each finding (a finding may refine it).
    pub fix: &'static str,
    pub status: Status,
}

impl RuleMeta {
    /// The heading anchor in docs/rules.md (`### CS203 wrong-order`).
    pub fn anchor(&self) -> String {
        format!("{}-{}", self.code.to_ascii_lowercase(), self.name)
    }

    /// Where the rule is documented on the web: only when `Cargo.toml` names
    /// a real `repository`, built from that field. `chainsmith rules CODE`
    /// (see [`RuleMeta::explain_command`]) works offline in every case.
    pub fn docs_url(&self) -> Option<String> {
        repository().map(|r| format!("{r}/blob/main/docs/rules.md#{}", self.anchor()))
    }

    /// The command that explains this rule, offline.
    pub fn explain_command(&self) -> String {
        format!("chainsmith rules {}", self.code)
    }
}

/// The `repository` field of `Cargo.toml`, when it has one.
pub fn repository() -> Option<&'static str> {
    Some(env!("CARGO_PKG_REPOSITORY")).filter(|r| !r.trim().is_empty())
}

/// The certificate a finding is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRef {
    /// The display form (`Cert::subject`), for people.
    pub subject: String,
    /// The RFC 4514 form (`Cert::subject_rfc4514`), for JSON.
    pub subject_rfc4514: String,
    /// First 12 hex digits of the SHA-256 fingerprint.
    pub sha256: String,
    pub role: &'static str,
}

impl CertRef {
    pub fn of(c: &Cert) -> Self {
        CertRef {
            subject: c.subject.clone(),
            subject_rfc4514: c.subject_rfc4514(),
            sha256: c.short_id(),
            role: c.role().as_str(),
        }
    }
}

/// One thing a rule found.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
    pub path: Arc<str>,
    /// 1-based line of the PEM block, when the input is text.
    pub line: Option<usize>,
    /// Position inside a container (PKCS#7 / PKCS#12), 0-based.
    pub inner: Option<usize>,
    pub cert: Option<CertRef>,
}

impl Finding {
    /// A finding about the file as a whole, at `line` if known.
    pub fn file(
        rule: &'static RuleMeta,
        path: &Arc<str>,
        line: Option<usize>,
        message: String,
    ) -> Self {
        Finding {
            rule,
            severity: rule.default_severity,
            message,
            fix: rule.fix.to_owned(),
            path: Arc::clone(path),
            line,
            inner: None,
            cert: None,
        }
    }

    /// A finding about one certificate, located at its PEM block.
    pub fn cert(rule: &'static RuleMeta, c: &Cert, message: String) -> Self {
        Finding {
            rule,
            severity: rule.default_severity,
            message,
            fix: rule.fix.to_owned(),
            path: Arc::clone(&c.source.path),
            line: c.source.line,
            inner: c.source.inner,
            cert: Some(CertRef::of(c)),
        }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// What the user asked a file to be checked as (`--expect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expect {
    Auto,
    CaBundle,
    ServerChain,
    ApimCa,
    Aks,
    AppservicePfx,
    KeyvaultPfx,
    KeyvaultPem,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Auto => "auto",
            Expect::CaBundle => "ca-bundle",
            Expect::ServerChain => "server-chain",
            Expect::ApimCa => "apim-ca",
            Expect::Aks => "aks",
            Expect::AppservicePfx => "appservice-pfx",
            Expect::KeyvaultPfx => "keyvault-pfx",
            Expect::KeyvaultPem => "keyvault-pem",
        }
    }

    /// Every value, in the order `--help` lists them.
    pub const ALL: [Expect; 8] = [
        Expect::Auto,
        Expect::CaBundle,
        Expect::ServerChain,
        Expect::ApimCa,
        Expect::Aks,
        Expect::AppservicePfx,
        Expect::KeyvaultPfx,
        Expect::KeyvaultPem,
    ];

    /// The inverse of [`Expect::as_str`], for the config file.
    pub fn parse(s: &str) -> Option<Expect> {
        Expect::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// The resolved use of a file: trust material (CA bundle, also for APIM and
/// AKS uploads), a chain a server sends, or a certificate with its key for
/// an import (App Service, Key Vault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    CaBundle,
    ServerChain,
    ApimCa,
    Aks,
    AppServicePfx,
    KeyVaultPfx,
    KeyVaultPem,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::CaBundle => "ca-bundle",
            Intent::ServerChain => "server-chain",
            Intent::ApimCa => "apim-ca",
            Intent::Aks => "aks",
            Intent::AppServicePfx => "appservice-pfx",
            Intent::KeyVaultPfx => "keyvault-pfx",
            Intent::KeyVaultPem => "keyvault-pem",
        }
    }

    /// CA-bundle rules apply (the file is trust material).
    pub fn is_trust(self) -> bool {
        matches!(self, Intent::CaBundle | Intent::ApimCa | Intent::Aks)
    }

    /// A certificate with its key for an App Service or Key Vault import.
    pub fn is_import(self) -> bool {
        matches!(
            self,
            Intent::AppServicePfx | Intent::KeyVaultPfx | Intent::KeyVaultPem
        )
    }
}

/// Settings every rule may read. Built once per run.
pub struct Context<'a> {
    /// The validation time (`--at`, default: the time the run started).
    pub now: OffsetDateTime,
    pub warn_days: u32,
    pub host: Option<String>,
    /// Trust anchors from `--trust` (empty when none was given).
    pub trust: &'a [Cert],
    /// Was `--trust` given at all?
    pub trust_given: bool,
    /// The clients a trust verdict is given for.
    pub clients: &'a [crate::pki::clients::Client],
    /// Private keys given with `--key`, as (label, public key bytes).
    pub keys: &'a [GivenKey],
    pub verifier: &'a Verifier,
    /// CA bundles clients hold during a rollover (`--deployed-bundle`),
    /// each judged on its own (CS215-CS217); empty when none was given.
    pub deployed: &'a [Deployed],
}

/// One `--deployed-bundle`: its display path and its certificates.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub path: Arc<str>,
    pub certs: Vec<Cert>,
}

impl Deployed {
    pub fn new(path: &str, certs: Vec<Cert>) -> Self {
        Deployed {
            path: Arc::from(path),
            certs,
        }
    }
}

/// A private key from `--key`, reduced to what matching needs.
#[derive(Debug, Clone)]
pub struct GivenKey {
    pub path: Arc<str>,
    pub public_key: Vec<u8>,
}

/// One file, read and ready for the rules.
pub struct Bundle<'a> {
    pub file: &'a LoadedFile,
    /// The raw bytes (for format rules such as CS403); empty for PKCS#12.
    pub bytes: &'a [u8],
    pub intent: Intent,
    /// Why this intent was chosen ("--expect", "config", "file name", "content").
    pub intent_reason: &'static str,
    /// Certificates of the file, followed by trust anchors that may issue them.
    pub certs: &'a [Cert],
    /// How many of `certs` come from the file (the rest are anchors).
    pub n_file: usize,
    pub graph: Graph<'a>,
    /// Did the user pass a PKCS#12 password?
    pub password_given: bool,
    /// With --trust, for a server chain: would a client trust it?
    pub trust: Option<TrustVerdict>,
}

/// "Would a client with the --trust anchors trust this chain?", once for
/// every client of `--client`.
#[derive(Debug, Clone)]
pub struct TrustVerdict {
    /// Every client checked trusts the chain.
    pub trusted: bool,
    pub reason: String,
    /// A trusting client's path (leaf first, anchor last), else the first
    /// client's best path. Shared with the clients' paths (`Arc`): a scan
    /// keeps every file's verdicts until the report.
    pub path: Vec<Arc<CertRef>>,
    /// One verdict per client, in `--client` order.
    pub clients: Vec<ClientTrust>,
}

/// One client's verdict.
#[derive(Debug, Clone)]
pub struct ClientTrust {
    pub client: crate::pki::clients::Client,
    pub trusted: bool,
    pub reason: String,
    pub path: Vec<Arc<CertRef>>,
}

impl TrustVerdict {
    /// The clients that reject the chain.
    pub fn rejecting(&self) -> impl Iterator<Item = &ClientTrust> {
        self.clients.iter().filter(|c| !c.trusted)
    }
}

impl Bundle<'_> {
    /// Indices of the file's distinct certificates (first copies), in file order.
    pub fn distinct(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.n_file).filter(|&i| self.graph.canonical[i] == i)
    }

    pub fn is_anchor(&self, i: usize) -> bool {
        i >= self.n_file
    }

    /// Best verified issuer of `i` other than itself, if any.
    pub fn issuer(&self, i: usize) -> Option<usize> {
        self.graph.issuer(i)
    }

    /// The file's end-entity certificates (first copies).
    pub fn leaves(&self) -> Vec<usize> {
        self.distinct()
            .filter(|&i| !self.certs[i].is_ca())
            .collect()
    }
}

/// What the registry, `rules` and reports know about a rule. The [`rule!`]
/// macro implements it next to the `META` it builds, so no rule writes it.
pub trait HasMeta {
    fn meta(&self) -> &'static RuleMeta;
}

/// A lint rule: a unit struct with metadata (from [`rule!`]) and a pure check.
pub trait Rule: HasMeta + Sync {
    /// Check one file.
    fn check(&self, bundle: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding>;
    /// Check the whole run (rules that count across files). Most rules don't.
    fn check_run(&self, _bundles: &[&Bundle<'_>], _ctx: &Context<'_>) -> Vec<Finding> {
        Vec::new()
    }
}

/// Display a certificate in a message: `CN=… [1a2b3c4d5e6f]`.
pub use crate::pki::model::label as name;

/// Define a rule's unit struct and its metadata in one place.
macro_rules! rule {
    (
        $ty:ident, $code:literal, $name:literal, $sev:ident,
        summary: $summary:literal,
        citation: $citation:expr,
        explanation: $explanation:literal,
        fix: $fix:literal $(,)?
    ) => {
        pub struct $ty;
        impl $ty {
            pub const META: $crate::lint::RuleMeta = $crate::lint::RuleMeta {
                code: $code,
                name: $name,
                summary: $summary,
                default_severity: $crate::lint::Severity::$sev,
                citation: $citation,
                explanation: $explanation,
                fix: $fix,
                status: $crate::lint::Status::Active,
            };
        }
        impl $crate::lint::HasMeta for $ty {
            fn meta(&self) -> &'static $crate::lint::RuleMeta {
                &Self::META
            }
        }
    };
}
pub(crate) use rule;

#[cfg(test)]
pub(crate) mod testutil;
