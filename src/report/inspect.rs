//! Rendering for `inspect`: a tree per chain for people, and a versioned
//! JSON document (with each certificate's PEM) for scripts.
use ::time::OffsetDateTime;
use serde_json::{Value, json};

use super::escape;
use crate::pki::Cert;
use crate::pki::model::rfc3339;

/// How a certificate relates to its issuer.
#[derive(Debug, Clone)]
pub enum Link<'a> {
    /// The next certificate up the chain verifies this one's signature.
    Verified { issuer: &'a Cert },
    /// Self-signed: its own key verifies its signature.
    SelfSigned,
    /// No input holds a certificate named like the issuer.
    Missing,
    /// A certificate has the issuer's name, but its key does not verify this one.
    BadSignature { candidate: &'a Cert },
    /// A certificate has the issuer's name, but the algorithm cannot be checked.
    Unverifiable { candidate: &'a Cert, reason: String },
    /// The issuer is already lower in the chain.
    Cycle { to: &'a Cert },
}

/// One certificate with where it was found and its link upwards.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub cert: &'a Cert,
    /// Every `file[:line]` holding this certificate (duplicates included).
    pub locations: Vec<String>,
    pub link: Link<'a>,
}

/// What `inspect` shows.
#[derive(Debug)]
pub enum View<'a> {
    /// Every chain, leaf first.
    Chains(Vec<Vec<Entry<'a>>>),
    /// `--thumbprint`: the certificate(s) with that hash (normalised hex).
    Found {
        query: String,
        entries: Vec<Entry<'a>>,
    },
}

const DATE: &[::time::format_description::FormatItem<'static>] =
    ::time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");

fn human_time(t: OffsetDateTime) -> String {
    t.to_offset(::time::UtcOffset::UTC)
        .format(DATE)
        .unwrap_or_else(|_| t.to_string())
}

/// Serial as `openssl x509 -serial` prints it: upper-case hex, no leading 00 pad byte.
pub fn serial_hex(cert: &Cert) -> String {
    let s = cert.serial.to_uppercase();
    let trimmed = s.trim_start_matches("00");
    if trimmed.is_empty() {
        "00".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Whole days from `at` to notAfter (negative once expired).
pub fn days_left(cert: &Cert, at: OffsetDateTime) -> i64 {
    (cert.not_after - at).whole_days()
}

fn validity_note(cert: &Cert, at: OffsetDateTime) -> String {
    if cert.not_before > at {
        let d = (cert.not_before - at).whole_days();
        return format!("NOT YET VALID: starts in {d} day{}", plural(d));
    }
    let d = days_left(cert, at);
    if cert.not_after < at {
        let ago = -d;
        format!("EXPIRED {ago} day{} ago", plural(ago))
    } else {
        format!("{d} day{} left", plural(d))
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn link_text(link: &Link<'_>) -> String {
    match link {
        Link::Verified { issuer } => format!(
            "signature verified by its issuer, {}",
            escape(&issuer.display_name())
        ),
        Link::SelfSigned => "self-signed (signature verified with its own key)".to_owned(),
        Link::Missing => {
            "ISSUER MISSING: no input holds the issuing certificate (the chain is incomplete)"
                .to_owned()
        }
        Link::BadSignature { candidate } => format!(
            "BAD SIGNATURE: {} [{}] has the issuer's name, but its key does not verify this certificate",
            escape(&candidate.subject),
            candidate.short_id()
        ),
        Link::Unverifiable { candidate, reason } => format!(
            "UNVERIFIABLE: issuer {} [{}] found, but {}",
            escape(&candidate.subject),
            candidate.short_id(),
            escape(reason)
        ),
        Link::Cycle { to } => format!(
            "CYCLE: issued by {} [{}], which is already lower in this chain",
            escape(&to.subject),
            to.short_id()
        ),
    }
}

fn link_json(link: &Link<'_>) -> Value {
    match link {
        Link::Verified { issuer } => json!({
            "status": "verified",
            "issuer_sha256": issuer.fingerprint(),
        }),
        Link::SelfSigned => json!({ "status": "self_signed" }),
        Link::Missing => json!({ "status": "issuer_missing" }),
        Link::BadSignature { candidate } => json!({
            "status": "bad_signature",
            "candidate_sha256": candidate.fingerprint(),
        }),
        Link::Unverifiable { candidate, reason } => json!({
            "status": "unverifiable",
            "candidate_sha256": candidate.fingerprint(),
            "reason": reason,
        }),
        Link::Cycle { to } => json!({
            "status": "cycle",
            "issuer_sha256": to.fingerprint(),
        }),
    }
}

fn chain_summary(chain: &[Entry<'_>]) -> String {
    let n = chain.len();
    let certs = format!("{n} certificate{}", if n == 1 { "" } else { "s" });
    match chain.last().map(|e| &e.link) {
        Some(Link::SelfSigned) => format!("{certs}, complete: ends at a self-signed root"),
        Some(Link::Missing) => format!(
            "{certs}, ends at {}: its issuer is not among the inputs",
            chain
                .last()
                .map(|e| escape(&e.cert.display_name()).into_owned())
                .unwrap_or_default()
        ),
        Some(Link::BadSignature { .. }) => format!("{certs}, BROKEN: a signature does not verify"),
        Some(Link::Unverifiable { .. }) => {
            format!("{certs}, ends at a signature that cannot be checked")
        }
        Some(Link::Cycle { .. }) => format!("{certs}, ends in a cycle"),
        Some(Link::Verified { .. }) | None => certs,
    }
}

/// ANSI styles, or nothing when colour is off.
#[derive(Clone, Copy)]
struct Style {
    on: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
    fn good(self, t: &str) -> String {
        self.paint("32", t)
    }
    fn bad(self, t: &str) -> String {
        self.paint("31", t)
    }
}

/// `FROM to UNTIL (note)`, the note in red outside the validity period.
fn validity(c: &Cert, at: OffsetDateTime, style: Style) -> String {
    let note = validity_note(c, at);
    let note = if c.not_after < at || c.not_before > at {
        style.bad(&note)
    } else {
        note
    };
    format!(
        "{} to {} ({note})",
        human_time(c.not_before),
        human_time(c.not_after),
    )
}

/// Whether the certificate may issue others, and how deep.
fn ca_text(c: &Cert) -> String {
    match c.basic_constraints {
        Some(bc) if bc.ca => match bc.path_len {
            Some(n) => format!("yes, pathLen {n}"),
            None => "yes, no pathLen limit".to_owned(),
        },
        Some(_) => "no".to_owned(),
        None if c.is_ca() => "yes (v1 certificate without basicConstraints)".to_owned(),
        None => "no (no basicConstraints)".to_owned(),
    }
}

fn push_cert(out: &mut String, e: &Entry<'_>, depth: usize, at: OffsetDateTime, style: Style) {
    let c = e.cert;
    let pad = "    ".repeat(depth);
    let head = if depth == 0 {
        String::new()
    } else {
        format!("{}└─ ", "    ".repeat(depth - 1))
    };
    out.push_str(&format!(
        "{head}{}\n",
        style.bold(&format!("[{}] {}", c.role(), escape(&c.display_name())))
    ));
    let field = |out: &mut String, name: &str, value: &str| {
        out.push_str(&format!("{pad}    {name:<12} {value}\n"));
    };
    field(out, "subject", &escape(&c.subject));
    field(out, "issuer", &escape(&c.issuer));
    field(out, "serial", &serial_hex(c));
    field(out, "validity", &validity(c, at, style));
    field(
        out,
        "key",
        &format!("{} (signed with {})", c.key, c.sig_alg),
    );
    if !c.sans.is_empty() {
        let sans: Vec<String> = c
            .sans
            .iter()
            .map(|s| escape(&s.to_string()).into_owned())
            .collect();
        field(out, "SANs", &sans.join(", "));
    }
    field(out, "CA", &ca_text(c));
    if let Some(ku) = &c.key_usage {
        let crit = if ku.critical { " (critical)" } else { "" };
        field(out, "keyUsage", &format!("{}{crit}", ku.names().join(", ")));
    }
    if let Some(eku) = &c.ext_key_usage {
        field(out, "EKU", &escape(&eku.names().join(", ")));
    }
    field(out, "thumbprint", &format!("{} (SHA-1)", c.thumbprint()));
    field(out, "SHA-256", &c.fingerprint());
    for loc in &e.locations {
        field(out, "found in", &escape(loc));
    }
    let link = link_text(&e.link);
    let link = match e.link {
        Link::Verified { .. } | Link::SelfSigned => style.good(&link),
        _ => style.bad(&link),
    };
    field(out, "issuer link", &link);
}

/// The human rendering; `color` adds ANSI styles.
pub fn human(view: &View<'_>, at: OffsetDateTime, color: bool) -> String {
    let style = Style { on: color };
    let mut out = String::new();
    match view {
        View::Chains(chains) => {
            let total = chains.len();
            for (k, chain) in chains.iter().enumerate() {
                if k > 0 {
                    out.push('\n');
                }
                out.push_str(&format!(
                    "chain {} of {total}: {}\n",
                    k + 1,
                    chain_summary(chain)
                ));
                for (depth, e) in chain.iter().enumerate() {
                    push_cert(&mut out, e, depth, at, style);
                }
            }
        }
        View::Found { entries, .. } => {
            for (k, e) in entries.iter().enumerate() {
                if k > 0 {
                    out.push('\n');
                }
                push_cert(&mut out, e, 0, at, style);
            }
        }
    }
    out
}

fn cert_json(e: &Entry<'_>, at: OffsetDateTime) -> Value {
    let c = e.cert;
    let (ca, path_len) = match c.basic_constraints {
        Some(bc) => (bc.ca, bc.path_len),
        None => (c.is_ca(), None),
    };
    json!({
        "role": c.role().as_str(),
        "subject": c.subject_rfc4514(),
        "subject_display": c.subject,
        "issuer": c.issuer_rfc4514(),
        "issuer_display": c.issuer,
        "common_name": c.common_name(),
        "serial": serial_hex(c),
        "not_before": rfc3339(c.not_before),
        "not_after": rfc3339(c.not_after),
        "days_left": days_left(c, at),
        "expired": c.not_after < at,
        "not_yet_valid": c.not_before > at,
        "key": c.key.to_string(),
        "signature_algorithm": c.sig_alg.to_string(),
        "sans": c.sans.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "ca": ca,
        "path_len": path_len,
        "key_usage": c.key_usage.map(|k| k.names()),
        "ext_key_usage": c.ext_key_usage.as_ref().map(|k| k.names()),
        "subject_key_id": c.ski.as_ref().map(hex::encode),
        "authority_key_id": c.aki.as_ref().map(hex::encode),
        "sha1_thumbprint": c.thumbprint(),
        "sha256_fingerprint": c.fingerprint(),
        "locations": e.locations,
        "issuer_link": link_json(&e.link),
        "pem": c.to_pem(),
    })
}

/// The JSON rendering: `{"version":2,...}` (2: `subject` and `issuer` are
/// RFC 4514 strings, the display forms moved to `*_display`); additive
/// changes only within a version.
pub fn json(view: &View<'_>, at: OffsetDateTime) -> String {
    let doc = match view {
        View::Chains(chains) => json!({
            "version": 2,
            "at": rfc3339(at),
            "chains": chains.iter().map(|chain| json!({
                "complete": matches!(chain.last().map(|e| &e.link), Some(Link::SelfSigned)),
                "certificates": chain.iter().map(|e| cert_json(e, at)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        View::Found { query, entries } => json!({
            "version": 2,
            "at": rfc3339(at),
            "thumbprint": query,
            "certificates": entries.iter().map(|e| cert_json(e, at)).collect::<Vec<_>>(),
        }),
    };
    let mut s = super::json_safe(serde_json::to_string_pretty(&doc).unwrap_or_default());
    s.push('\n');
    s
}
