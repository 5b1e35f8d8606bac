//! A newcomer's first five minutes: the README's quick start, run literally
//! command by command in a fresh directory. If the README and the tool drift
//! apart, this fails.
use std::process::Command as StdCommand;

use crate::support::*;

fn quick_start_block() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("## Quick start")
        .nth(1)
        .expect("README has a Quick start section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .expect("Quick start has a sh block");
    block.split("```").next().unwrap().to_owned()
}

#[test]
fn readme_quick_start_works_literally() {
    if !have("openssl") || !have("bash") {
        return;
    }
    let script = quick_start_block();
    assert!(
        script.contains("chainsmith generate") && script.contains("s_client"),
        "{script}"
    );
    // The only change: a free port instead of 8443, so parallel runs do not collide.
    let port = free_port();
    let script = script.replace("8443", &port.to_string());
    let tmp = tempfile::tempdir().unwrap();
    let bin_dir = assert_cmd::cargo::cargo_bin("chainsmith")
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (ok, out) = run(StdCommand::new("timeout")
        .args(["60", "bash", "-e", "-c", &script])
        .current_dir(tmp.path())
        .env("PATH", path)
        .env_remove("CI")
        .env_remove("SSL_CERT_FILE"));
    assert!(ok, "the quick start failed:\n{out}");
    assert!(out.contains("Verification: OK"), "{out}");
    for f in [
        "chain/server-fullchain.crt",
        "chain/ca-bundle.crt",
        "trust.pem",
    ] {
        assert!(tmp.path().join(f).exists(), "{f} missing");
    }
    // The README names the .cer files convert writes (and it wrote some:
    // an empty folder would check nothing).
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut cer = 0;
    for entry in std::fs::read_dir(tmp.path().join("apim")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            readme.contains(&format!("apim/{name}")),
            "README does not mention apim/{name}"
        );
        cer += usize::from(name.ends_with(".cer"));
    }
    assert!(cer >= 1, "convert wrote no .cer file into apim/");
}
