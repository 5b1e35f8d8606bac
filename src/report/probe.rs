//! What `probe` adds to a lint report, per target: the served chain with
//! days left, the server's request for a client certificate (with the CA
//! names it listed), the alert that ended a handshake with its likely
//! causes and fixes, certificates fetched through AIA, and the target's
//! error. The same records go into every format: a section per target in
//! human output, `targets` in JSON (docs/json-output.md), a `probe`
//! property bag in SARIF, annotations in GitHub output.
use std::fmt::Write as _;

use serde::Serialize;

use super::{escape, escape_text};

/// One probed target.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProbeTarget {
    /// As given (`api.example.com:8443`).
    pub target: String,
    /// HOST:PORT connected to.
    pub address: String,
    /// The SNI sent; null when none was (an IP address).
    pub sni: Option<String>,
    /// The `file` its findings and trust verdict are listed under.
    pub file: String,
    /// The address answered from.
    pub peer: Option<String>,
    /// The negotiated version, when the handshake completed.
    pub protocol: Option<String>,
    pub elapsed_ms: u64,
    /// The certificates in the order sent.
    pub chain: Vec<ServedCert>,
    /// Days until the first certificate (the leaf) expires, at `--at`.
    pub days_left: Option<i64>,
    pub client_auth: Option<ClientAuth>,
    pub alert: Option<AlertReport>,
    /// Issuers fetched through AIA caIssuers (`--fetch-aia`) or taken from
    /// `--intermediates`, each confirmed by its signature over the child.
    pub completed: Vec<Completion>,
    /// Why the completion stopped short (a URL that failed, a loop, a
    /// response over the limit, a certificate that did not verify).
    pub completion_notes: Vec<String>,
    /// Why the target failed (unreachable, refused, not TLS, timed out, an
    /// alert); its exit code is 2.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServedCert {
    pub subject: String,
    pub issuer: String,
    pub sha256_prefix: String,
    pub not_after: String,
    pub days_left: i64,
}

/// The server asked for a client certificate.
#[derive(Debug, Clone, Serialize)]
pub struct ClientAuth {
    /// The CA names it listed (RFC 4514); empty means "any".
    pub acceptable_cas: Vec<String>,
    /// Was a client certificate sent?
    pub sent: bool,
    /// The subject of the client certificate given with `--cert`.
    pub certificate: Option<String>,
    /// Does the sent chain name a listed CA (as the issuer or the subject
    /// of one of its certificates)? Null when nothing was sent or the list
    /// is empty.
    pub issuer_listed: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertReport {
    /// The RFC name (`internal_error`).
    pub name: String,
    pub code: u8,
    /// `before-certificate`, `in-handshake` or `after-handshake`.
    pub stage: &'static str,
    pub causes: Vec<CauseReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseReport {
    pub cause: String,
    pub fix: String,
}

/// A certificate added to complete the chain.
#[derive(Debug, Clone, Serialize)]
pub struct Completion {
    pub subject: String,
    pub sha256_prefix: String,
    /// `aia` or `intermediates`.
    pub source: &'static str,
    /// The URL it was fetched from, or the file it came from.
    pub from: String,
    /// The subject of the certificate it signed.
    pub issued: String,
}

/// The human lines about client authentication, the alert and chain
/// completion for one target (the chain itself is shown by the command).
pub fn human(t: &ProbeTarget, color: bool) -> String {
    let wrap = |code: &str, text: &str| {
        if color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    if let Some(c) = &t.client_auth {
        let names = if c.acceptable_cas.is_empty() {
            "none listed (any CA)".to_owned()
        } else {
            c.acceptable_cas
                .iter()
                .map(|n| escape(n).into_owned())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let _ = writeln!(
            out,
            "{} the server asks for a client certificate; acceptable CA names: {names}",
            wrap("1", "client-auth:")
        );
        let sent = match (&c.certificate, c.sent) {
            (Some(s), true) => format!("sent {}", escape(s)),
            (Some(s), false) => format!(
                "NOT sent {} (its key cannot sign for this server)",
                escape(s)
            ),
            (None, _) => "none sent (give --cert/--key or a PFX)".to_owned(),
        };
        let listed = match c.issuer_listed {
            Some(true) => "; its issuer is one of the listed CAs",
            Some(false) => "; its issuer is NOT among the listed CAs",
            None => "",
        };
        let _ = writeln!(out, "  client certificate: {sent}{listed}");
        if c.issuer_listed == Some(false) {
            let _ = writeln!(
                out,
                "  fix: use a client certificate from a listed CA, or add its CA to the server's client CA list (APISIX `client.ca`, nginx `ssl_client_certificate`)"
            );
        }
    }
    for x in &t.completed {
        let _ = writeln!(
            out,
            "{} added {} [{}] (issuer of {}) from {} {}",
            wrap("1", "completed:"),
            escape(&x.subject),
            x.sha256_prefix,
            escape(&x.issued),
            x.source,
            escape(&x.from)
        );
    }
    for n in &t.completion_notes {
        let _ = writeln!(out, "{} {}", wrap("1", "completion:"), escape_text(n));
    }
    if let Some(a) = &t.alert {
        let _ = writeln!(
            out,
            "{} the server sent the TLS alert {} ({}, {})",
            wrap("1;31", "alert:"),
            wrap("1", &a.name),
            a.code,
            a.stage
        );
        for c in &a.causes {
            let _ = writeln!(out, "  likely cause: {}", escape_text(&c.cause));
            let _ = writeln!(out, "           fix: {}", escape_text(&c.fix));
        }
    }
    out
}

/// GitHub annotations for the probe records: a notice for a client
/// certificate request and for each certificate added to the chain, a
/// warning per completion problem, an error per likely cause of an alert.
pub fn github(t: &ProbeTarget) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if let Some(c) = &t.client_auth {
        out.push((
            "notice",
            format!("{} client certificate requested", t.target),
            format!(
                "acceptable CA names: {}; client certificate {}",
                if c.acceptable_cas.is_empty() {
                    "none listed".to_owned()
                } else {
                    c.acceptable_cas.join("; ")
                },
                if c.sent { "sent" } else { "not sent" }
            ),
        ));
    }
    for x in &t.completed {
        out.push((
            "notice",
            format!("{} chain completed", t.target),
            format!(
                "added {} [{}] (issuer of {}) from {} {}",
                x.subject, x.sha256_prefix, x.issued, x.source, x.from
            ),
        ));
    }
    for n in &t.completion_notes {
        out.push((
            "warning",
            format!("{} chain completion", t.target),
            n.clone(),
        ));
    }
    if let Some(a) = &t.alert {
        for c in &a.causes {
            out.push((
                "error",
                format!("{} alert {}", t.target, a.name),
                format!("likely cause: {}. fix: {}", c.cause, c.fix),
            ));
        }
    }
    out
}
