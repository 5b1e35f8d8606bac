//! Outputs that another local user cannot hijack, and output plans that
//! cannot lose a file: the attacks of an adversarial run against `fsio`,
//! each as a regression test. Races are widened with a helper thread that
//! swaps names in a loop, bounded in time, and with `strace -e inject`.
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::*;

const SETS: [&str; 3] = ["root", "intermediate", "server"];

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// `generate --force` into `dir`, bounded in time; its exit code.
fn generate_force(dir: &Path) -> Option<i32> {
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let mut child = std::process::Command::new(bin)
        .args(["generate", "--force", "--san", "www.example.com", "-o"])
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("generate hung for 20 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A chain from `generate` in `dir`, and beside it a file of the victim's
/// (holding [`VICTIM`]) that an attacker would like chainsmith to write
/// through.
fn chain_and_victim(dir: &Path) -> (PathBuf, PathBuf) {
    let victim = dir.join("victim");
    std::fs::write(&victim, VICTIM).unwrap();
    (generate_chain(dir, &[]), victim)
}

const VICTIM: &[u8] = b"victim's bytes";

/// Run `swap` in a loop on another thread while `body` runs.
fn with_flipper(swap: impl Fn() + Send + 'static, body: impl FnOnce()) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let t = std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(120);
        while !flag.load(Ordering::Relaxed) && Instant::now() < until {
            swap();
        }
    });
    body();
    stop.store(true, Ordering::Relaxed);
    t.join().unwrap();
}

/// The old chmod-by-path race: an attacker who can write into the output
/// directory swaps each temporary file for a link to a file of the
/// victim's. The victim's file keeps its mode and bytes, and every key that
/// lands is a 0600 regular file.
#[test]
fn swapping_temporary_files_for_links_changes_no_other_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, victim) = chain_and_victim(tmp.path());
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (d, v) = (dir.clone(), victim.clone());
    with_flipper(
        move || {
            for n in files_in(&d) {
                if n.starts_with(".chainsmith-") && n.ends_with(".tmp") {
                    let p = d.join(&n);
                    if std::fs::remove_file(&p).is_ok() {
                        let _ = std::os::unix::fs::symlink(&v, &p);
                    }
                }
            }
        },
        || {
            for _ in 0..25 {
                let code = generate_force(&dir);
                assert!(matches!(code, Some(0 | 2)), "exit {code:?}");
                // A run that found its file swapped fails (exit 2); one
                // that succeeds has every key as a 0600 regular file. No
                // key is ever the attacker's link.
                for s in SETS {
                    let key = dir.join(format!("{s}.key"));
                    match std::fs::symlink_metadata(&key) {
                        Ok(m) => {
                            assert!(m.file_type().is_file(), "{s}.key is not a regular file");
                            assert_eq!(mode(&key), 0o600, "{s}.key");
                        }
                        Err(_) => assert_eq!(code, Some(2), "{s}.key missing after success"),
                    }
                }
            }
        },
    );
    assert_eq!(std::fs::read(&victim).unwrap(), VICTIM);
    assert_eq!(mode(&victim), 0o600);
}

/// `server.key` flipping between a link to a FIFO and a link to a file of
/// the victim's: no key is written through either, and no run hangs.
#[test]
fn a_key_name_flipping_between_links_is_never_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, victim) = chain_and_victim(tmp.path());
    let fifo = tmp.path().join("fifo");
    mkfifo(&fifo);
    // A reader is waiting on the FIFO: a key written into it would be read.
    let reader = rustix::fs::open(
        &fifo,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::NONBLOCK,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let key = dir.join("server.key");
    let (k, v, f) = (key.clone(), victim.clone(), fifo.clone());
    let flip = Arc::new(AtomicBool::new(false));
    with_flipper(
        move || {
            let to = if flip.fetch_xor(true, Ordering::Relaxed) {
                &v
            } else {
                &f
            };
            let _ = std::fs::remove_file(&k);
            let _ = std::os::unix::fs::symlink(to, &k);
        },
        || {
            for _ in 0..25 {
                let code = generate_force(&dir);
                assert!(matches!(code, Some(0 | 2)), "exit {code:?}");
            }
        },
    );
    assert_eq!(std::fs::read(&victim).unwrap(), VICTIM);
    let mut buf = [0u8; 64];
    let got = rustix::io::read(&reader, &mut buf).unwrap_or(0);
    assert_eq!(got, 0, "bytes reached the FIFO");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

/// A FIFO another user planted as `server.key`, with a reader waiting:
/// `generate --force` refuses at once and the reader gets nothing.
#[test]
fn another_users_fifo_never_receives_a_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = generate_chain(tmp.path(), &[]);
    let key = dir.join("server.key");
    std::fs::remove_file(&key).unwrap();
    mkfifo(&key);
    if is_root() {
        std::os::unix::fs::chown(&key, Some(65534), Some(65534)).unwrap();
    }
    let reader = rustix::fs::open(
        &key,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::NONBLOCK,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let started = Instant::now();
    let out = chainsmith()
        .args(["generate", "--force", "--san", "www.example.com", "-o"])
        .arg(&dir)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("server.key") && err.contains("private key"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
    let mut buf = [0u8; 64];
    assert_eq!(rustix::io::read(&reader, &mut buf).unwrap_or(0), 0);
    assert!(
        std::fs::symlink_metadata(&key)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

/// A kill between two renames, the window held open by strace: the
/// directory holds a journal, and the next write into it completes the new
/// set before anything else, so every certificate matches its key.
#[test]
fn a_kill_between_renames_is_completed_by_the_next_run() {
    let Some(tmp) = tempdir_with(&["strace", "openssl"]) else {
        return;
    };
    let dir = generate_chain(tmp.path(), &[]);
    let before = std::fs::read(dir.join("server.key")).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let mut child = {
        use std::os::unix::process::CommandExt;
        std::process::Command::new("strace")
            .args(["-f", "-qq", "-o", "/dev/null"])
            .args(["-e", "trace=rename,renameat,renameat2"])
            .args(["-e", "inject=rename,renameat,renameat2:delay_exit=300000"])
            .arg(&bin)
            .args(["generate", "--force", "--san", "www.example.com", "-o"])
            .arg(&dir)
            .process_group(0)
            .spawn()
            .unwrap()
    };
    // The journal's own rename is delayed too: wait until it has landed,
    // then for about one more rename.
    let journal = dir.join(".chainsmith-journal");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !journal.exists() {
        assert!(Instant::now() < deadline, "no journal appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(450));
    let pgid = child.id() as i32;
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .status();
    let _ = child.wait();
    assert!(journal.exists(), "the kill came after the commit finished");
    let landed: Vec<String> = files_in(&dir)
        .into_iter()
        .filter(|n| n.starts_with(".chainsmith-") && n.ends_with(".tmp"))
        .collect();
    assert!(!landed.is_empty(), "no rename was left to do");

    // The next write into the directory: `generate` without --force, which
    // completes the set and then refuses to overwrite it.
    let next = chainsmith()
        .args(["generate", "--san", "www.example.com", "-o"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(next.status.code(), Some(2));
    assert!(dir.is_dir());
    let left: Vec<String> = files_in(&dir)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_ne!(std::fs::read(dir.join("server.key")).unwrap(), before);
    for s in SETS {
        let cert = openssl(
            &dir,
            &["x509", "-noout", "-pubkey", "-in", &format!("{s}.crt")],
        );
        let key = openssl(&dir, &["pkey", "-pubout", "-in", &format!("{s}.key")]);
        assert!(cert.0 && key.0);
        assert_eq!(cert.1, key.1, "{s}.crt and {s}.key differ");
    }
    let verify = openssl_verify(&dir, "root.crt", "intermediate.crt", "server.crt");
    assert!(verify.0, "{}", verify.1);
}

fn pfx_with_key(dir: &Path) -> (PathBuf, PathBuf) {
    let pass = dir.join("pw");
    std::fs::write(&pass, "pw\n").unwrap();
    let chain = dir.join("c");
    chainsmith()
        .args(["generate", "--san", "a.example.com", "--password-file"])
        .arg(&pass)
        .arg("-o")
        .arg(&chain)
        .assert()
        .success();
    (chain.join("server.pfx"), pass)
}

/// `convert --to pem --with-key` of a fresh [`pfx_with_key`] PFX, run in
/// `dir` with `outs` (where the certificates and the key go): the exit code
/// and stderr.
fn split_pfx(dir: &Path, outs: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let (pfx, pass) = pfx_with_key(dir);
    let out = chainsmith()
        .current_dir(dir)
        .args(["convert", "--to", "pem", "--with-key", "--password-file"])
        .arg(&pass)
        .arg(&pfx)
        .args(outs)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), err)
}

/// `-o a.pem --key-out $PWD/a.pem`: two outputs for one file are refused
/// before anything is written; the key never lands over the certificates.
#[test]
fn two_names_for_one_output_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a_pem = tmp.path().join("a.pem");
    let (code, err) = split_pfx(
        tmp.path(),
        &[
            "-o".as_ref(),
            "a.pem".as_ref(),
            "--key-out".as_ref(),
            a_pem.as_os_str(),
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("same file"), "{err}");
    assert!(!tmp.path().join("a.pem").exists());
}

/// `-o /dev/full --key-out k.key`: the failing device write comes before
/// any file lands, so the key is not left behind.
#[test]
fn a_failed_device_write_leaves_no_key_behind() {
    if !Path::new("/dev/full").exists() {
        cannot_run("/dev/full is missing");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = split_pfx(
        tmp.path(),
        &[
            "-o".as_ref(),
            "/dev/full".as_ref(),
            "--key-out".as_ref(),
            "k.key".as_ref(),
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(!tmp.path().join("k.key").exists(), "{err}");
}

/// CAs named `Dup`, `Dup` and `Dup-<first 8 hex digits of the first's
/// fingerprint>`: three certificates, three files, in an empty directory
/// and again over them with --force.
#[test]
fn derived_der_names_never_collide() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let t = tmp.path();
    let make = |name: &str, cn: &str| {
        openssl_self_signed(
            t,
            &format!("{name}.key"),
            &format!("{name}.crt"),
            &format!("/CN={cn}"),
            36500,
            OPENSSL_CA_EXTS,
        );
    };
    make("a", "Dup");
    make("b", "Dup");
    let (ok, fp) = openssl(
        t,
        &["x509", "-noout", "-fingerprint", "-sha256", "-in", "a.crt"],
    );
    assert!(ok);
    let hexfp: String = fp
        .split('=')
        .nth(1)
        .unwrap()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_ascii_lowercase();
    make("c", &format!("Dup-{}", &hexfp[..8]));
    let pile: String = ["a.crt", "b.crt", "c.crt"]
        .iter()
        .map(|f| std::fs::read_to_string(t.join(f)).unwrap())
        .collect();
    std::fs::write(t.join("pile.pem"), pile).unwrap();
    for force in [false, true] {
        let mut cmd = chainsmith();
        cmd.args(["convert", "--to", "der", "-o"])
            .arg(t.join("out"))
            .arg(t.join("pile.pem"));
        if force {
            cmd.arg("--force");
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let files = files_in(&t.join("out"));
        assert_eq!(files.len(), 3, "{files:?}");
        // Each file is one of the three certificates, and all three are there.
        let mut seen = Vec::new();
        for f in &files {
            let (ok, fp) = openssl(
                &t.join("out"),
                &[
                    "x509",
                    "-inform",
                    "DER",
                    "-noout",
                    "-fingerprint",
                    "-sha256",
                    "-in",
                    f,
                ],
            );
            assert!(ok, "{f}: {fp}");
            seen.push(fp);
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 3);
    }
}

/// SIGQUIT while `issue` waits for the CA key's password, with core dumps
/// allowed by the shell: no core file is written, and the process runs with
/// a core size limit of 0.
#[cfg(target_os = "linux")]
#[test]
fn no_core_dump_while_a_key_is_in_memory() {
    use std::io::Write as _;
    use std::os::unix::process::ExitStatusExt;
    let tmp = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let mut child = std::process::Command::new("sh")
        .current_dir(tmp.path())
        .arg("-c")
        .arg("ulimit -c unlimited 2>/dev/null; exec \"$0\" \"$@\"")
        .arg(&bin)
        .args(["issue", "--san", "a.example.com", "--ca"])
        .arg(fixture("openssl-ca/ca.crt"))
        .arg("--ca-key")
        .arg(fixture("openssl-ca/ca-pkcs8-encrypted.key"))
        .args(["--ca-key-password-stdin", "-o", "out"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it is blocked reading the password (the key file is read).
    let pid = child.id();
    let limits = format!("/proc/{pid}/limits");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut core_line = String::new();
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(&limits).unwrap_or_default();
        core_line = text
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap_or_default()
            .to_owned();
        let f: Vec<&str> = core_line.split_whitespace().collect();
        if f.get(4..6) == Some(&["0", "0"][..]) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let fields: Vec<&str> = core_line.split_whitespace().collect();
    assert_eq!(fields.get(4..6), Some(&["0", "0"][..]), "{core_line}");
    std::thread::sleep(Duration::from_millis(200));
    let _ = std::process::Command::new("kill")
        .args(["-QUIT", &pid.to_string()])
        .status();
    let status = child.wait().unwrap();
    drop(child.stdin.take().map(|mut s| s.write_all(b"")));
    assert_eq!(status.signal(), Some(3), "{status:?}");
    assert!(!status.core_dumped(), "a core was dumped");
    let cores: Vec<String> = files_in(tmp.path())
        .into_iter()
        .filter(|n| n.starts_with("core"))
        .collect();
    assert!(cores.is_empty(), "{cores:?}");
}
