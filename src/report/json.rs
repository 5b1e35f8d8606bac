//! `--format json`, version 2. Built from frozen DTOs (not internal types);
//! within a version changes are additive only. Documented in
//! docs/json-output.md (version 2 added one trust verdict per client, and
//! made `subject` a real RFC 4514 string beside `subject_display`).
use serde::Serialize;

use super::LintReport;
use crate::lint::{CertRef, Finding};

pub const VERSION: u32 = 2;

#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub version: u32,
    pub findings: Vec<JsonFinding<'a>>,
    pub files: Vec<JsonFile<'a>>,
    pub errors: Vec<JsonError<'a>>,
    /// `probe` only: one record per target (docs/json-output.md).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub targets: &'a [super::probe::ProbeTarget],
    pub summary: JsonSummary,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: &'static str,
    pub message: &'a str,
    pub fix: &'a str,
    pub file: &'a str,
    pub line: Option<usize>,
    /// 0-based position inside a PKCS#7 or PKCS#12 container.
    pub item: Option<usize>,
    pub certificate: Option<JsonCert<'a>>,
    pub docs: Option<String>,
}

#[derive(Serialize)]
pub struct JsonCert<'a> {
    /// RFC 4514, as `openssl x509 -noout -subject -nameopt RFC2253` prints it.
    pub subject: &'a str,
    /// The form the human output shows (`C=US, O=Example, CN=Example CA`).
    pub subject_display: &'a str,
    pub sha256_prefix: &'a str,
    pub role: &'static str,
}

#[derive(Serialize)]
pub struct JsonFile<'a> {
    pub path: &'a str,
    pub intent: Option<&'static str>,
    pub intent_reason: &'static str,
    pub certificates: usize,
    pub trust: Option<JsonTrust<'a>>,
}

#[derive(Serialize)]
pub struct JsonTrust<'a> {
    pub trusted: bool,
    pub reason: &'a str,
    pub path: Vec<JsonCert<'a>>,
    pub clients: Vec<JsonClient<'a>>,
}

#[derive(Serialize)]
pub struct JsonClient<'a> {
    pub client: &'static str,
    pub trusted: bool,
    pub reason: &'a str,
    pub path: Vec<JsonCert<'a>>,
    /// `measured` (checked against the real client by the test suite) or
    /// `read-from-source`.
    pub evidence: &'static str,
}

#[derive(Serialize)]
pub struct JsonError<'a> {
    pub file: &'a str,
    pub message: &'a str,
}

#[derive(Serialize)]
pub struct JsonSummary {
    pub files: usize,
    pub certificates: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub unreadable_files: usize,
    pub fail_on: &'static str,
    pub exit_code: u8,
}

fn cert(c: &CertRef) -> JsonCert<'_> {
    JsonCert {
        subject: &c.subject_rfc4514,
        subject_display: &c.subject,
        sha256_prefix: &c.sha256,
        role: c.role,
    }
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        code: f.rule.code,
        name: f.rule.name,
        severity: f.severity.as_str(),
        message: &f.message,
        fix: &f.fix,
        file: &f.path,
        line: f.line,
        item: f.inner,
        certificate: f.cert.as_ref().map(cert),
        docs: f.rule.docs_url(),
    }
}

pub fn build<'a>(r: &'a LintReport<'a>) -> JsonReport<'a> {
    let c = r.counts();
    JsonReport {
        version: VERSION,
        findings: r
            .files
            .iter()
            .flat_map(|f| f.findings.iter().map(finding))
            .collect(),
        files: r
            .files
            .iter()
            .map(|f| JsonFile {
                path: &f.path,
                intent: f.intent.map(|i| i.as_str()),
                intent_reason: f.intent_reason,
                certificates: f.certificates,
                trust: f.trust.as_ref().map(|t| JsonTrust {
                    trusted: t.trusted,
                    reason: &t.reason,
                    path: t.path.iter().map(|c| cert(c)).collect(),
                    clients: t.clients.iter().map(client).collect(),
                }),
            })
            .collect(),
        errors: r
            .io_errors
            .iter()
            .map(|e| JsonError {
                file: &e.path,
                message: &e.message,
            })
            .collect(),
        targets: r.probe,
        summary: JsonSummary {
            files: r.files.len() + r.io_errors.len(),
            certificates: c.certificates,
            errors: c.errors,
            warnings: c.warnings,
            notes: c.notes,
            unreadable_files: r.io_errors.len(),
            fail_on: r.fail_on.as_str(),
            exit_code: r.exit as u8,
        },
    }
}

fn client(c: &crate::lint::ClientTrust) -> JsonClient<'_> {
    use crate::pki::clients::Evidence;
    JsonClient {
        client: c.client.name(),
        trusted: c.trusted,
        reason: &c.reason,
        path: c.path.iter().map(|c| cert(c)).collect(),
        evidence: match c.client.model().evidence {
            Evidence::Measured => "measured",
            Evidence::ReadFromSource => "read-from-source",
        },
    }
}

pub fn render(r: &LintReport<'_>) -> Result<String, serde_json::Error> {
    let mut s = super::json_safe(serde_json::to_string_pretty(&build(r))?);
    s.push('\n');
    Ok(s)
}
