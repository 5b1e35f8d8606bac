//! The differential client harness (tests/clients/): scenarios built by
//! pyca/cryptography, served by `openssl s_server` on 127.0.0.1, judged by
//! real clients (openssl s_client, Python's ssl, curl, Go, Java, nginx).
//! Nothing in the measurement comes from chainsmith; chainsmith's per-client
//! verdicts are then held against it.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::sync::{Arc, Mutex, Weak};

use serde_json::Value;

use crate::support::*;

/// The tools the harness drives (`java` runs a source file, which needs the
/// JDK: hence `javac`); `.ci/run` installs them all.
const TOOLS: &[&str] = &[
    "python3", "openssl", "curl", "go", "java", "javac", "keytool", "nginx",
];

/// The real clients and the chainsmith client model each one stands for.
const CLIENTS: &[(&str, &str)] = &[
    ("s_client", "openssl"),
    ("python", "openssl"),
    ("python-strict", "openssl-strict"),
    ("curl", "curl"),
    ("go", "go"),
    ("java", "java"),
    ("nginx", "nginx"),
];

/// Cells where chainsmith's verdict for a client model is allowed to differ
/// from the real client: (scenario id, real client, why it is accepted).
const KNOWN_DIVERGENCES: &[(&str, &str, &str)] = &[];

const REGENERATE: &str = "tests/clients/regenerate.sh";

/// One run of the harness: the scenario directories (in the generator's
/// order), the results JSON and the markdown matrix.
struct Measured {
    _dir: tempfile::TempDir,
    scenarios: Vec<PathBuf>,
    results: Value,
    markdown: String,
}

/// The harness takes ~20 s, so the tests of this file share one run while
/// any of them holds it; the last one to finish removes its directory.
static MEASURED: Mutex<Weak<Measured>> = Mutex::new(Weak::new());

/// None (after a loud skip, or a failure under CI) when a tool is missing.
fn measured() -> Option<Arc<Measured>> {
    let mut slot = MEASURED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = slot.upgrade() {
        return Some(m);
    }
    // Check every tool (each missing one is named), then give up if any is.
    let missing: Vec<&str> = TOOLS.iter().copied().filter(|t| !have(t)).collect();
    if !missing.is_empty() {
        return None;
    }
    let (ok, out) = run(StdCommand::new("python3").args(["-c", "import cryptography"]));
    if !ok {
        cannot_run(&format!(
            "python3 cannot import cryptography (.ci/run installs it): {out}"
        ));
        return None;
    }
    let m = Arc::new(measure());
    *slot = Arc::downgrade(&m);
    Some(m)
}

fn measure() -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let clients = repo().join("tests").join("clients");
    let out = dir.path().join("scenarios");
    let (ok, text) = run(StdCommand::new("python3")
        .arg(clients.join("scenarios.py"))
        .arg(&out));
    assert!(ok, "tests/clients/scenarios.py failed: {text}");
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    scenarios.sort();
    let json = dir.path().join("results.json");
    let md = dir.path().join("matrix.md");
    let (ok, text) = run(StdCommand::new("python3")
        .arg(clients.join("run_clients.py"))
        .args(&scenarios)
        .arg("--json")
        .arg(&json)
        .arg("--markdown")
        .arg(&md));
    assert!(ok, "tests/clients/run_clients.py failed: {text}");
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let markdown = std::fs::read_to_string(&md).unwrap();
    Measured {
        _dir: dir,
        scenarios,
        results,
        markdown,
    }
}

fn scenario_meta(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("scenario.json")).unwrap()).unwrap()
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"))
}

/// (b) + (c): the harness runs every client against every scenario, and
/// docs/clients.md shows exactly what it measured.
#[test]
fn real_clients_measure_every_scenario_and_the_docs_matrix_is_fresh() {
    let Some(m) = measured() else {
        return;
    };
    assert!(
        m.scenarios.len() >= 40,
        "only {} scenarios",
        m.scenarios.len()
    );
    let results = &m.results["results"];
    for dir in &m.scenarios {
        for file in ["served.pem", "key.pem", "trust.pem", "scenario.json"] {
            assert!(dir.join(file).is_file(), "{} has no {file}", dir.display());
        }
        let meta = scenario_meta(dir);
        let id = str_of(&meta["id"], "scenario id");
        for (client, model) in CLIENTS {
            let cell = &results[id][client];
            assert_eq!(cell["model"], *model, "{id}/{client}: {cell}");
            assert!(cell["trusted"].is_boolean(), "{id}/{client}: {cell}");
        }
    }
    // The harness tells trust from distrust: every client takes the plain
    // chain and refuses a chain from an unrelated root.
    for (client, _) in CLIENTS {
        assert_eq!(
            results["good-chain"][client]["trusted"], true,
            "{client} refused the good chain: {}",
            results["good-chain"][client]
        );
        assert_eq!(
            results["unrelated-root-trusted"][client]["trusted"], false,
            "{client} accepted a chain to an untrusted root"
        );
    }

    let doc_path = repo().join("docs").join("clients.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let start = doc
        .find("<!-- matrix:start -->")
        .expect("docs/clients.md has no <!-- matrix:start --> marker");
    let end = doc
        .find("<!-- matrix:end -->")
        .expect("docs/clients.md has no <!-- matrix:end --> marker");
    let committed = doc[start + "<!-- matrix:start -->".len()..end].trim();
    assert!(
        committed == m.markdown.trim(),
        "docs/clients.md's measured matrix is stale; regenerate it with `{REGENERATE}`.\n\
         committed:\n{committed}\n\nmeasured now:\n{}",
        m.markdown.trim()
    );
}

/// (d): chainsmith's verdict for each client model against the real client
/// that model stands for, cell by cell.
#[test]
fn chainsmith_client_models_agree_with_the_real_clients() {
    let Some(m) = measured() else {
        return;
    };
    let results = &m.results["results"];
    let models: BTreeSet<&str> = CLIENTS.iter().map(|(_, model)| *model).collect();
    let mut found: Vec<(String, String, String)> = Vec::new();
    for dir in &m.scenarios {
        let meta = scenario_meta(dir);
        let id = str_of(&meta["id"], "scenario id");
        let mut cmd = lint()
            .format("json")
            .flag("--expect", "server-chain")
            .flag("--trust", dir.join("trust.pem"))
            .flag("--host", str_of(&meta["host"], "host"));
        if let Some(at) = meta["at"].as_str() {
            cmd = cmd.at(at);
        }
        for model in &models {
            cmd = cmd.flag("--client", model);
        }
        let out = cmd.arg(dir.join("served.pem")).output();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{id}: chainsmith lint exited {:?}: {stderr}",
            out.status.code()
        );
        let v: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{id}: lint output is not JSON ({e}): {stdout}"));
        let verdicts = v["files"][0]["trust"]["clients"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: no files[0].trust.clients[] in {stdout}"));
        for (client, model) in CLIENTS {
            let ours = verdicts
                .iter()
                .find(|c| c["client"] == *model)
                .unwrap_or_else(|| panic!("{id}: no verdict for client model {model}: {stdout}"));
            let real = &results[id][client];
            if ours["trusted"] != real["trusted"] {
                found.push((
                    id.to_owned(),
                    (*client).to_owned(),
                    format!(
                        "{client} says trusted={} ({}); chainsmith --client {model} says trusted={} ({})",
                        real["trusted"], real["detail"], ours["trusted"], ours["reason"]
                    ),
                ));
            }
        }
    }
    let known: BTreeSet<(&str, &str)> =
        KNOWN_DIVERGENCES.iter().map(|(s, c, _)| (*s, *c)).collect();
    let got: BTreeSet<(&str, &str)> = found
        .iter()
        .map(|(s, c, _)| (s.as_str(), c.as_str()))
        .collect();
    let unexpected: Vec<String> = found
        .iter()
        .filter(|(s, c, _)| !known.contains(&(s.as_str(), c.as_str())))
        .map(|(s, c, why)| format!("  ({s:?}, {c:?}): {why}"))
        .collect();
    let gone: Vec<String> = KNOWN_DIVERGENCES
        .iter()
        .filter(|(s, c, _)| !got.contains(&(*s, *c)))
        .map(|(s, c, why)| format!("  ({s:?}, {c:?}, {why:?})"))
        .collect();
    assert!(
        unexpected.is_empty() && gone.is_empty(),
        "chainsmith's client models and the real clients disagree.\n\
         New disagreements (fix the model, or list them in KNOWN_DIVERGENCES with a reason):\n{}\n\
         Listed in KNOWN_DIVERGENCES but now agreeing (remove them):\n{}",
        unexpected.join("\n"),
        gone.join("\n")
    );
}
