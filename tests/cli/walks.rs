//! Directory walks under `lint`: nothing in a scanned tree is skipped
//! silently. A file deeper than PATH_MAX is read; an entry that cannot be
//! read is exit 2 while the rest is still checked; links, FIFOs and sockets
//! are skipped with a `-v` note; loops end.
use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use rustix::fs::{Mode, OFlags, mkdirat, openat};

use crate::support::*;

fn open_dir(at: &OwnedFd, name: &str) -> OwnedFd {
    openat(
        at,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap()
}

/// `levels` nested directories named `name` under `top`, made with
/// `mkdirat`/`openat` (no path is ever longer than one name), with `file`
/// written at the bottom as `leaf_name`. Returns the bottom file's path.
fn nest(top: &Path, name: &str, levels: usize, leaf_name: &str, file: &[u8]) -> PathBuf {
    std::fs::create_dir(top).unwrap();
    let mut dir = rustix::fs::open(
        top,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap();
    let mut path = top.to_path_buf();
    for _ in 0..levels {
        mkdirat(&dir, name, Mode::from_raw_mode(0o755)).unwrap();
        dir = open_dir(&dir, name);
        path.push(name);
    }
    let fd = openat(
        &dir,
        leaf_name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    std::fs::File::from(fd).write_all(file).unwrap();
    path.join(leaf_name)
}

/// Each stderr line that starts with `error:`.
fn error_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .map(str::to_owned)
        .collect()
}

/// `count` error lines on `stderr`, the first ones naming `first` in order.
fn assert_errors(stderr: &[u8], count: usize, first: &[&str]) {
    let errors = error_lines(stderr);
    assert_eq!(errors.len(), count, "{errors:?}");
    for (line, needle) in errors.iter().zip(first) {
        assert!(line.contains(needle), "{errors:?}");
    }
}

/// `chainsmith lint EXTRA --at AT DIR`, bounded in time.
fn lint_tree(dir: &Path, extra: &[&str]) -> std::process::Output {
    chainsmith()
        .arg("lint")
        .args(extra)
        .args(["--at", AT])
        .arg(dir)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap()
}

#[test]
fn a_certificate_deeper_than_path_max_is_linted_not_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = std::fs::read(fixture("leaf-only-ca-bundle.pem")).unwrap();
    let top = tmp.path().join("certs");
    let deep = nest(&top, &"d".repeat(200), 25, "ca.pem", &bad);
    assert!(
        deep.as_os_str().len() > 4096,
        "the nest must be deeper than PATH_MAX: {} bytes",
        deep.as_os_str().len()
    );
    // The operating system itself refuses the path: reading it takes more.
    let by_path = std::fs::read(&deep).unwrap_err();
    assert_eq!(
        by_path.raw_os_error(),
        Some(rustix::io::Errno::NAMETOOLONG.raw_os_error())
    );

    let out = lint_tree(&top, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("error[CS201]"), "{stdout}");
    assert!(stdout.contains("/ca.pem:1"), "{stdout}");
    assert!(
        stdout.contains("1 file (0 clean, 1 certificate)"),
        "{stdout}"
    );
    // The long path is cut for people, in the middle: both ends are shown.
    let arrow = stdout.lines().find(|l| l.contains("-->")).unwrap();
    assert!(arrow.contains('…') && arrow.len() < 600, "{arrow}");

    // Machine output keeps the whole path.
    let out = chainsmith()
        .args(["lint", "--format", "json", "--at", AT])
        .arg(&top)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"][0]["path"], deep.to_str().unwrap());
    assert_eq!(doc["findings"][0]["code"], "CS201");
}

#[test]
fn a_tree_nested_past_the_walk_limit_is_an_error_not_a_silent_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = std::fs::read(fixture("leaf-only-ca-bundle.pem")).unwrap();
    let top = tmp.path().join("certs");
    nest(&top, "d", 300, "ca.pem", &bad);
    std::fs::copy(fixture("leaf-only-ca-bundle.pem"), top.join("ca.pem")).unwrap();
    let out = lint_tree(&top, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert_errors(&out.stderr, 1, &["nested more than 256 directories deep"]);
    // The shallow file is still checked.
    assert!(
        stdout.contains("error[CS201]") && stdout.contains("certs/ca.pem:1"),
        "{stdout}"
    );
}

/// Root reads everything whatever its mode bits (CI runs as root), so the
/// permission error is injected by strace, on exactly one file and one
/// directory (`-P`).
#[test]
fn unreadable_entries_are_exit_2_and_the_rest_is_still_checked() {
    let Some(tmp) = tempdir_with(&["strace"]) else {
        return;
    };
    let top = tmp.path().join("certs");
    for d in ["a-locked", "b", "c"] {
        std::fs::create_dir_all(top.join(d)).unwrap();
    }
    std::fs::copy(fixture("server-fullchain.pem"), top.join("a-locked/x.pem")).unwrap();
    std::fs::copy(fixture("server-fullchain.pem"), top.join("b/locked.pem")).unwrap();
    std::fs::copy(fixture("leaf-only-ca-bundle.pem"), top.join("c/ca.pem")).unwrap();
    let trace = tmp.path().join("trace");
    let out = StdCommand::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&trace)
        .arg("-P")
        .arg(top.join("a-locked"))
        .arg("-P")
        .arg(top.join("b/locked.pem"))
        .args(["-e", "trace=openat", "-e", "inject=openat:error=EACCES"])
        .arg(assert_cmd::cargo::cargo_bin("chainsmith"))
        .args(["lint", "--at", AT])
        .arg(&top)
        .output()
        .unwrap();
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert!(trace.matches("(INJECTED)").count() >= 2, "{trace}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{trace}");
    assert_errors(
        &out.stderr,
        2,
        &[
            "a-locked: cannot read the directory: Permission denied",
            "locked.pem: cannot read: Permission denied",
        ],
    );
    // The readable file was linted.
    assert!(
        stdout.contains("error[CS201]") && stdout.contains("c/ca.pem"),
        "{stdout}"
    );
    assert!(stdout.contains("2 files could not be read"), "{stdout}");
}

#[test]
fn links_fifos_and_sockets_are_skipped_with_a_note_and_a_directory_loop_ends() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("certs");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::copy(fixture("server-fullchain.pem"), d.join("good.pem")).unwrap();
    std::os::unix::fs::symlink("good.pem", d.join("link.pem")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("nowhere.pem"), d.join("dangling.pem")).unwrap();
    // Loops through directory links, one named like a certificate.
    std::os::unix::fs::symlink(&d, d.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("..", d.join("sub/up.pem")).unwrap();
    mkfifo(&d.join("pipe.pem"));
    let _socket = std::os::unix::net::UnixListener::bind(d.join("sock.pem")).unwrap();

    let out = lint_tree(&d, &["-v"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("no findings in 2 files"), "{stdout}");
    for (name, why) in [
        ("dangling.pem", "a dangling symbolic link"),
        ("sub/loop", "a link to a directory (not followed)"),
        ("sub/up.pem", "a link to a directory (not followed)"),
        ("pipe.pem", "a FIFO, not a regular file"),
        ("sock.pem", "a socket, not a regular file"),
    ] {
        let line = format!("skipped {}: {why}", d.join(name).display());
        assert!(
            stderr.lines().any(|l| l == line),
            "no `{line}` in:\n{stderr}"
        );
    }

    // Without -v the run is as quiet as before.
    let out = lint_tree(&d, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A link that leads nowhere is nothing to read (skipped, above); a link
/// that cannot be resolved at all (a loop of file links) is an error.
#[test]
fn a_loop_of_file_links_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("certs");
    std::fs::create_dir(&d).unwrap();
    std::fs::copy(fixture("server-fullchain.pem"), d.join("good.pem")).unwrap();
    std::os::unix::fs::symlink("b.pem", d.join("a.pem")).unwrap();
    std::os::unix::fs::symlink("a.pem", d.join("b.pem")).unwrap();
    let out = lint_tree(&d, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_errors(
        &out.stderr,
        2,
        &["a.pem: cannot read: Too many levels of symbolic links"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("no findings in 3 files"), "{stdout}");
}
