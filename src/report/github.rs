//! GitHub Actions workflow commands: one annotation per finding.
use std::fmt::Write as _;

use super::LintReport;
use crate::lint::Severity;

/// Escape the message part of a workflow command.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(r: &LintReport<'_>) -> String {
    let mut out = String::new();
    for f in r.files {
        for x in &f.findings {
            let level = match x.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "notice",
            };
            let mut props = format!("file={}", property(&x.path));
            if let Some(l) = x.line {
                let _ = write!(props, ",line={l}");
            }
            let _ = write!(
                props,
                ",title={}",
                property(&format!("{} {}", x.rule.code, x.rule.name))
            );
            let cert = x
                .cert
                .as_ref()
                .map(|c| format!(" (certificate {} [{}])", c.subject, c.sha256))
                .unwrap_or_default();
            let msg = format!("{}{cert}. fix: {}", x.message, x.fix);
            let _ = writeln!(out, "::{level} {props}::{}", data(&super::escape(&msg)));
        }
    }
    for e in r.io_errors {
        let _ = writeln!(
            out,
            "::error file={},title=unreadable::{}",
            property(&e.path),
            data(&e.message)
        );
    }
    let c = r.counts();
    let _ = writeln!(
        out,
        "chainsmith: {} errors, {} warnings, {} notes in {} files",
        c.errors,
        c.warnings,
        c.notes,
        r.files.len() + r.io_errors.len()
    );
    out
}
