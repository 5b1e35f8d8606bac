//! SARIF 2.1.0 for code-scanning uploads: `tool.driver.rules` comes from the
//! registry; one result per finding.
use serde_json::{Value, json};

use super::LintReport;
use crate::lint::{Severity, registry};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A SARIF artifact URI for a path as given: forward slashes, spaces
/// and `%` escaped; standard input has no file.
fn uri(path: &str) -> String {
    if path == "-" {
        return "stdin".to_owned();
    }
    path.replace('\\', "/")
        .replace('%', "%25")
        .replace(' ', "%20")
}

pub fn build(r: &LintReport<'_>) -> Value {
    let metas: Vec<_> = registry::metas().collect();
    let rules: Vec<Value> = metas
        .iter()
        .map(|m| {
            let mut rule = json!({
                "id": m.code,
                "name": m.name,
                "shortDescription": { "text": m.summary },
                "fullDescription": { "text": m.explanation },
                "help": { "text": format!("{} Fix: {}. Details: `{}`.", m.explanation, m.fix, m.explain_command()) },
                "defaultConfiguration": { "level": level(m.default_severity) },
            });
            if let Some(url) = m.docs_url() {
                rule["helpUri"] = json!(url);
            }
            rule
        })
        .collect();
    let mut results = Vec::new();
    for f in r.files {
        for x in &f.findings {
            let index = metas
                .iter()
                .position(|m| m.code == x.rule.code)
                .unwrap_or(0);
            let mut physical = json!({ "artifactLocation": { "uri": uri(&x.path) } });
            if let Some(l) = x.line {
                physical["region"] = json!({ "startLine": l });
            }
            let mut text = x.message.clone();
            if let Some(c) = &x.cert {
                text.push_str(&format!(" (certificate {} [{}])", c.subject, c.sha256));
            }
            text.push_str(&format!(". Fix: {}", x.fix));
            results.push(json!({
                "ruleId": x.rule.code,
                "ruleIndex": index,
                "level": level(x.severity),
                "message": { "text": text },
                "locations": [ { "physicalLocation": physical } ],
            }));
        }
    }
    let notifications: Vec<Value> = r
        .io_errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": e.message },
                "locations": [ { "physicalLocation": { "artifactLocation": { "uri": uri(&e.path) } } } ],
            })
        })
        .collect();
    let mut sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "chainsmith",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": r.io_errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    });
    // SARIF has no place of its own for "would this client trust it": one
    // property bag per run lists each file's verdict per client.
    let trust: Vec<Value> = r
        .files
        .iter()
        .filter_map(|f| {
            f.trust.as_ref().map(|t| {
                json!({
                    "file": uri(&f.path),
                    "trusted": t.trusted,
                    "clients": t.clients.iter().map(|c| json!({
                        "client": c.client.name(),
                        "trusted": c.trusted,
                        "reason": c.reason,
                    })).collect::<Vec<_>>(),
                })
            })
        })
        .collect();
    if !trust.is_empty() {
        sarif["runs"][0]["properties"] = json!({ "trust": trust });
    }
    // Nor for what `probe` saw per target (a client certificate request, an
    // alert with its likely causes): a second property bag.
    if !r.probe.is_empty() {
        sarif["runs"][0]["properties"]["probe"] = json!(r.probe);
    }
    if let Some(repo) = crate::lint::repository() {
        sarif["runs"][0]["tool"]["driver"]["informationUri"] = json!(repo);
    }
    sarif
}

pub fn render(r: &LintReport<'_>) -> Result<String, serde_json::Error> {
    let mut s = super::json_safe(serde_json::to_string_pretty(&build(r))?);
    s.push('\n');
    Ok(s)
}
