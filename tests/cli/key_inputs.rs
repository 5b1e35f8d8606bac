//! `lint --key` and `convert --key` read a key file: up to the key file's
//! limit (1 MiB), as `issue --key` does, not up to a bundle's 32 MiB.
use std::path::Path;

use crate::support::*;

fn refused_one_line(cmd: &mut assert_cmd::Command, file: &Path) {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&file.display().to_string())
            && err.contains("the key file is over the limit of 1048576 bytes"),
        "{err}"
    );
}

#[test]
fn lint_and_convert_read_key_files_up_to_the_key_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    // 2 MiB: under the bundle limit, over the key file limit.
    let big = tmp.path().join("big.key");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 * 1024 * 1024)
        .unwrap();
    for key in [big.as_path(), Path::new("/dev/zero")] {
        refused_one_line(
            lint()
                .arg(chain.join("server-fullchain.crt"))
                .flag("--key", key)
                .command()
                .timeout(std::time::Duration::from_secs(60)),
            key,
        );
        let pfx = tmp.path().join("out.pfx");
        refused_one_line(
            chainsmith()
                .args(["convert", "--to", "pfx", "--no-password", "-o"])
                .arg(&pfx)
                .arg(chain.join("server-fullchain.crt"))
                .arg("--key")
                .arg(key)
                .timeout(std::time::Duration::from_secs(60)),
            key,
        );
        assert!(!pfx.exists());
    }
    // The real key still works for both.
    lint()
        .arg(chain.join("server-fullchain.crt"))
        .flag("--key", chain.join("server.key"))
        .assert()
        .success();
}
