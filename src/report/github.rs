//! GitHub Actions workflow commands: one annotation per finding.
//! Text from certificates and file names is escaped twice over: first for a
//! terminal (`escape_text`: no raw ESC, CR, LF or bidi controls reach the
//! log), then by GitHub's own rules (`%25 %0D %0A`, and `%3A %2C` in
//! properties), so every annotation stays one well-formed line.
use std::fmt::Write as _;

use super::{LintReport, escape, escape_text};
use crate::lint::Severity;

/// Escape the message part of a workflow command.
fn data(s: &str) -> String {
    escape_text(s)
        .replace('%', "%25")
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
                .map(|c| format!(" (certificate {} [{}])", escape(&c.subject), c.sha256))
                .unwrap_or_default();
            let msg = format!("{}{cert}. fix: {}", x.message, x.fix);
            let _ = writeln!(out, "::{level} {props}::{}", data(&msg));
        }
    }
    for t in r.probe {
        for (level, title, text) in super::probe::github(t) {
            let _ = writeln!(out, "::{level} title={}::{}", property(&title), data(&text));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_and_data_follow_github_rules_and_stay_on_one_line() {
        let name = "certs/a,b:c%d\u{1b}[31m\r\n\u{202E}.pem";
        let p = property(name);
        assert_eq!(p, "certs/a%2Cb%3Ac%25d\\u{1b}[31m\\r\\n\\u{202e}.pem");
        let d = data("50% done: a,b\nnext");
        assert_eq!(d, "50%25 done: a,b\\nnext");
    }
}
