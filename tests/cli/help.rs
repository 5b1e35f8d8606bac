//! Help, completions and man pages: generated from the clap definitions, and
//! every subcommand teaches with EXAMPLES and EXIT CODES.
use predicates::prelude::*;

use crate::support::*;

/// The subcommands listed by `chainsmith [PATH...] --help`.
fn subcommands_of(path: &[String]) -> Vec<String> {
    let out = chainsmith().args(path).arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut names = Vec::new();
    let mut in_commands = false;
    for line in text.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if in_commands {
            if line.trim().is_empty() {
                break;
            }
            let name = line.split_whitespace().next().unwrap().to_owned();
            if name != "help" {
                names.push(name);
            }
        }
    }
    names
}

fn subcommands() -> Vec<String> {
    let names = subcommands_of(&[]);
    assert!(names.len() >= 8, "{names:?}");
    names
}

/// Every command path, walked recursively (`export`, `export apim`, ...).
fn all_command_paths() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut todo: Vec<Vec<String>> = subcommands().into_iter().map(|s| vec![s]).collect();
    while let Some(path) = todo.pop() {
        for sub in subcommands_of(&path) {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
        out.push(path);
    }
    out.sort();
    out
}

#[test]
fn every_subcommand_help_has_examples_and_exit_codes() {
    for path in all_command_paths() {
        let sub = path.join(" ");
        let out = chainsmith().args(&path).arg("--help").output().unwrap();
        assert!(out.status.success(), "{sub} --help");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("EXAMPLES:"), "{sub} --help has no EXAMPLES");
        assert!(
            text.contains("EXIT CODES:"),
            "{sub} --help has no EXIT CODES"
        );
    }
}

#[test]
fn version_names_the_crypto_backend() {
    chainsmith().arg("--version").assert().success().stdout(
        predicate::str::is_match(r"^chainsmith \d+\.\d+\.\d+ \(crypto: aws-lc-rs\)\n$").unwrap(),
    );
}

#[test]
fn unknown_subcommand_gets_a_suggestion() {
    chainsmith()
        .arg("genrate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "similar subcommand exists: 'generate'",
        ));
}

#[test]
fn conflicting_flags_are_refused_naming_both() {
    chainsmith()
        .args([
            "generate",
            "--san",
            "a.example.com",
            "--password-file",
            "x",
            "--password-stdin",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--password-file")
                .and(predicate::str::contains("--password-stdin")),
        );
}

#[test]
fn completions_cover_every_subcommand() {
    let subs = subcommands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = chainsmith().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for sub in &subs {
            // Each shell's own token for a top-level subcommand, not a
            // substring (`man` is inside `Command`).
            let token = match shell {
                "bash" => format!("chainsmith,{sub})"),
                "zsh" => format!("'{sub}:"),
                "fish" => format!("__fish_chainsmith_needs_command\" -f -a \"{sub}\""),
                "powershell" => format!("[CompletionResult]::new('{sub}'"),
                "elvish" => format!("cand {sub} "),
                _ => unreachable!(),
            };
            assert!(
                script.contains(&token),
                "{shell} completion lacks {sub} (no `{token}`)"
            );
        }
    }
    // The bash script is valid bash.
    if have("bash") {
        let out = chainsmith().args(["completions", "bash"]).output().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("c.bash");
        std::fs::write(&f, out.stdout).unwrap();
        let (ok, msg) = run(std::process::Command::new("bash").arg("-n").arg(&f));
        assert!(ok, "{msg}");
    }
}

#[test]
fn man_pages_are_written_per_subcommand() {
    let tmp = tempfile::tempdir().unwrap();
    chainsmith()
        .args(["man", "-o"])
        .arg(tmp.path())
        .assert()
        .success();
    let main = std::fs::read_to_string(tmp.path().join("chainsmith.1")).unwrap();
    assert!(main.contains(".TH chainsmith 1"));
    for sub in subcommands() {
        let page = std::fs::read_to_string(tmp.path().join(format!("chainsmith-{sub}.1")))
            .unwrap_or_else(|_| panic!("no page for {sub}"));
        assert!(page.contains(&format!(".TH chainsmith-{sub} 1")), "{sub}");
    }
    // A second run needs --force.
    chainsmith()
        .args(["man", "-o"])
        .arg(tmp.path())
        .assert()
        .code(2);
}

#[test]
fn every_help_page_is_snapshotted() {
    // One insta snapshot per command path, walked recursively, so a change
    // to any --help shows up in review (cargo-deny's cli_snapshot).
    for path in all_command_paths() {
        let out = chainsmith().args(&path).arg("--help").output().unwrap();
        assert!(out.status.success());
        let name = format!("help_{}", path.join("_"));
        insta::assert_snapshot!(name, String::from_utf8(out.stdout).unwrap());
    }
    let out = chainsmith().arg("--help").output().unwrap();
    insta::assert_snapshot!("help_top", String::from_utf8(out.stdout).unwrap());
}
