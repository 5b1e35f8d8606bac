//! SARIF 2.1.0 for code-scanning uploads: `tool.driver.rules` comes from the
//! registry; one result per finding.
use serde_json::{Value, json};

use super::LintReport;
use crate::lint::{RuleMeta, Severity, registry};

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
    let metas: Vec<&RuleMeta> = registry::metas().collect();
    let mut sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "chainsmith",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": metas.iter().map(|m| rule(m)).collect::<Vec<_>>(),
            }},
            "invocations": [{
                "executionSuccessful": r.io_errors.is_empty(),
                "toolExecutionNotifications": notifications(r),
            }],
            "results": results(r, &metas),
        }]
    });
    let trust = trust(r);
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

/// One `tool.driver.rules` entry, from the registry.
fn rule(m: &RuleMeta) -> Value {
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
}

/// One result per finding, pointing at its rule by index.
fn results(r: &LintReport<'_>, metas: &[&RuleMeta]) -> Vec<Value> {
    let mut results = Vec::new();
    for x in r.files.iter().flat_map(|f| &f.findings) {
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
    results
}

/// Files that could not be read, as tool execution notifications.
fn notifications(r: &LintReport<'_>) -> Vec<Value> {
    r.io_errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": e.message },
                "locations": [ { "physicalLocation": { "artifactLocation": { "uri": uri(&e.path) } } } ],
            })
        })
        .collect()
}

/// SARIF has no place of its own for "would this client trust it": one
/// property bag per run lists each file's verdict per client.
fn trust(r: &LintReport<'_>) -> Vec<Value> {
    r.files
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
        .collect()
}

pub fn render(r: &LintReport<'_>) -> Result<String, serde_json::Error> {
    let mut s = super::json_safe(serde_json::to_string_pretty(&build(r))?);
    s.push('\n');
    Ok(s)
}
