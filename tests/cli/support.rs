//! Shared helpers: a scrubbed `chainsmith` command, fixture and corpus paths,
//! and external tools that must exist under CI.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

/// `chainsmith` with an environment that cannot leak into results.
pub fn chainsmith() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("chainsmith").unwrap();
    for var in [
        "NO_COLOR",
        "CI",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/NAME`, made by `fixtures/make.sh` with openssl.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

/// `../shared/corpus/NAME`: material nobody here wrote.
pub fn corpus(name: &str) -> PathBuf {
    repo().join("..").join("shared").join("corpus").join(name)
}

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Is an external tool available? Missing tools skip a test loudly on a
/// laptop, and fail it under CI, where `.ci/run` installs them.
pub fn have(tool: &str) -> bool {
    let found = StdCommand::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            !under_ci(),
            "{tool} is required under CI=true; .ci/run should install it"
        );
        eprintln!("\n!!! SKIPPED: {tool} is not installed; this test did not run !!!\n");
    }
    found
}

/// Run a command, returning (success, stdout+stderr).
pub fn run(cmd: &mut StdCommand) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// `openssl ARGS...` in `dir`.
pub fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    run(StdCommand::new("openssl").current_dir(dir).args(args))
}

/// A chain made by `chainsmith generate` in `dir/chain`.
pub fn generate_chain(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("chain");
    chainsmith()
        .args([
            "generate",
            "--san",
            "www.example.com",
            "--san",
            "127.0.0.1",
            "-o",
        ])
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    out
}
