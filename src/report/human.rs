//! rustc/ruff-style findings: `error[CS203]: …`, `--> path:line`, a
//! certificate line, a `fix:` line, a docs link and a closing summary.
use std::fmt::Write as _;

use super::{LintReport, escape, escape_text};
use crate::lint::{Finding, Severity, TrustVerdict};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Note => "1;36",
        };
        self.wrap(code, s.as_str())
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Render a lint run for a terminal or a log: every finding, then every
/// trust verdict, then a summary line.
pub fn render(r: &LintReport<'_>, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    for x in r.files.iter().flat_map(|f| &f.findings) {
        finding(&mut out, &p, x);
    }
    for f in r.files {
        if let Some(t) = &f.trust {
            trust(&mut out, &p, &f.path, t);
        }
    }
    let _ = writeln!(out, "{} {}", p.wrap("1", "summary:"), summary(r));
    out
}

/// `error[CS203]: …`, where, which certificate, the fix and the rule.
fn finding(out: &mut String, p: &Paint, x: &Finding) {
    let _ = writeln!(
        out,
        "{}{}: {}",
        p.severity(x.severity),
        p.wrap("1", &format!("[{}]", x.rule.code)),
        p.wrap("1", &escape_text(&x.message))
    );
    let loc = match (x.line, x.inner) {
        (Some(l), _) => format!("{}:{l}", escape(&x.path)),
        (None, Some(i)) => format!("{} (item {})", escape(&x.path), i + 1),
        (None, None) => escape(&x.path).into_owned(),
    };
    let _ = writeln!(out, "  {} {loc}", p.wrap("1;34", "-->"));
    if let Some(c) = &x.cert {
        let _ = writeln!(
            out,
            "   {} certificate: {} [{}] ({})",
            p.wrap("1;34", "="),
            escape(&c.subject),
            c.sha256,
            c.role
        );
    }
    let _ = writeln!(
        out,
        "   {} fix: {}",
        p.wrap("1;34", "="),
        escape_text(&x.fix)
    );
    let url = x
        .rule
        .docs_url()
        .map(|u| format!(", {u}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "   {} rule: {} (`{}`{url})",
        p.wrap("1;34", "="),
        x.rule.name,
        x.rule.explain_command()
    );
    out.push('\n');
}

/// `trust: FILE: trusted|NOT trusted: reason`, then one line per client
/// when any client rejects the chain (clients disagree, and the user asks
/// about one of them); when every client trusts it, the path, the same for
/// all.
fn trust(out: &mut String, p: &Paint, path: &str, t: &TrustVerdict) {
    let verdict = if t.trusted {
        p.wrap("1;32", "trusted")
    } else {
        p.wrap("1;31", "NOT trusted")
    };
    let _ = writeln!(
        out,
        "trust: {}: {verdict}: {}",
        escape(path),
        escape_text(&t.reason)
    );
    let width = t
        .clients
        .iter()
        .map(|c| c.client.name().len())
        .max()
        .unwrap_or(0);
    for c in t.clients.iter().filter(|_| !t.trusted) {
        let (word, color) = if c.trusted {
            ("trusted    ", "32")
        } else {
            ("NOT trusted", "31")
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {}  {}",
            c.client.name(),
            p.wrap(color, word),
            escape_text(&c.reason)
        );
    }
    if t.trusted {
        let names: Vec<String> = t
            .path
            .iter()
            .map(|c| format!("{} [{}]", escape(&c.subject), c.sha256))
            .collect();
        let _ = writeln!(out, "  path: {}", names.join(" → "));
    }
}

/// `3 errors, 1 warning, 0 notes in 4 files (1 clean, 9 certificates)`.
fn summary(r: &LintReport<'_>) -> String {
    let c = r.counts();
    // `probe` counts targets (a target may have a chain and an error).
    let (files, one, many) = if r.probe.is_empty() {
        (r.files.len() + r.io_errors.len(), "file", "files")
    } else {
        (r.probe.len(), "target", "targets")
    };
    let mut summary = if c.errors + c.warnings + c.notes == 0 {
        format!(
            "no findings in {} ({})",
            plural(files, one, many),
            plural(c.certificates, "certificate", "certificates")
        )
    } else {
        format!(
            "{}, {}, {} in {} ({} clean, {})",
            plural(c.errors, "error", "errors"),
            plural(c.warnings, "warning", "warnings"),
            plural(c.notes, "note", "notes"),
            plural(files, one, many),
            c.clean_files,
            plural(c.certificates, "certificate", "certificates")
        )
    };
    if !r.io_errors.is_empty() && !r.probe.is_empty() {
        let _ = write!(
            summary,
            "; {} failed",
            plural(r.io_errors.len(), "target", "targets")
        );
    } else if !r.io_errors.is_empty() {
        let _ = write!(
            summary,
            "; {} could not be read",
            plural(r.io_errors.len(), "file", "files")
        );
    }
    summary
}
