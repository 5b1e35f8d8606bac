//! File safety under faults: SIGKILL at random points never leaves a
//! partial or corrupt file under a final name — each is absent, the old one,
//! or the complete new one.
use std::path::Path;
use std::time::Duration;

use crate::support::*;

const FILES: [&str; 10] = [
    "root.crt",
    "root.key",
    "intermediate.crt",
    "intermediate.key",
    "server.crt",
    "server.key",
    "server-fullchain.crt",
    "ca-bundle.crt",
    "root.cer",
    "intermediate.cer",
];

/// The public key openssl reads from a certificate or a key file.
fn openssl_pubkey(dir: &Path, args: &[&str]) -> String {
    let (ok, out) = openssl(dir, args);
    assert!(ok, "openssl {args:?}: {out}");
    out
}

/// A file is whole when openssl reads it completely.
fn whole(dir: &Path, name: &str) -> bool {
    let args: Vec<&str> = if name.ends_with(".key") {
        vec!["pkey", "-noout", "-in", name]
    } else if name.ends_with(".cer") {
        vec!["x509", "-noout", "-inform", "DER", "-in", name]
    } else {
        vec!["x509", "-noout", "-in", name]
    };
    openssl(dir, &args).0
}

#[cfg(unix)]
#[test]
fn sigkill_during_generate_leaves_old_or_new_files_only() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let dir = generate_chain(tmp.path(), &[]);
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let mut outcomes = (0, 0); // (killed mid-run, finished before the kill)
    // Spread kill times across key generation, signing and the writes.
    for i in 0..24u64 {
        let before: Vec<Vec<u8>> = FILES
            .iter()
            .map(|f| std::fs::read(dir.join(f)).unwrap())
            .collect();
        let mut child = std::process::Command::new(&bin)
            .args([
                "generate",
                "--force",
                "--key-type",
                "rsa-2048",
                "--san",
                "www.example.com",
                "-o",
            ])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + (i * 37) % 400));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        if finished {
            outcomes.1 += 1;
        } else {
            outcomes.0 += 1;
        }
        // The next write into the directory completes an interrupted set
        // before anything else: here a plain `generate` that then refuses
        // to overwrite (exit 2).
        let next = std::process::Command::new(&bin)
            .args(["generate", "--san", "www.example.com", "-o"])
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(next.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&next.stderr).contains("already exists"),
            "{}",
            String::from_utf8_lossy(&next.stderr)
        );
        let mut old = Vec::new();
        for (k, f) in FILES.iter().enumerate() {
            assert!(dir.join(f).exists(), "{f} vanished after a kill");
            assert!(
                whole(&dir, f),
                "{f} is partial or corrupt after SIGKILL at step {i}"
            );
            if std::fs::read(dir.join(f)).unwrap() == before[k] {
                old.push(*f);
            }
        }
        // The set is replaced as one: all old files or all new ones, never
        // a new certificate beside an old key.
        assert!(
            old.is_empty() || old.len() == FILES.len(),
            "a mix of old and new files after SIGKILL at step {i}; old: {old:?}"
        );
        for stem in ["root", "intermediate", "server"] {
            assert_eq!(
                openssl_pubkey(
                    &dir,
                    &["x509", "-noout", "-pubkey", "-in", &format!("{stem}.crt")]
                ),
                openssl_pubkey(&dir, &["pkey", "-pubout", "-in", &format!("{stem}.key")]),
                "{stem}.crt and {stem}.key do not match after SIGKILL at step {i}"
            );
        }
        let leftovers: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(
            leftovers.is_empty(),
            "temporary files or a journal left after the next run: {leftovers:?}"
        );
    }
    assert!(outcomes.0 > 0, "no run was killed mid-way: {outcomes:?}");
}

/// Mount a tiny tmpfs (root only); None, with a loud note, where the
/// sandbox does not allow mounts.
#[cfg(target_os = "linux")]
fn tiny_fs(dir: &Path, size: &str) -> bool {
    let (ok, msg) = run(std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir));
    if !ok {
        cannot_run(&format!("cannot mount a tmpfs here ({msg})"));
    }
    ok
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_gives_a_clear_error_and_leaves_nothing() {
    if !is_root() {
        cannot_run("mounting a full file system needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    if !tiny_fs(&mnt, "64k") {
        return;
    }
    // Fill it almost completely.
    let _ = std::fs::write(mnt.join("filler"), vec![0u8; 60 * 1024]);
    let out = generate()
        .san("a.example.com")
        .out(mnt.join("chain"))
        .output();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let entries: Vec<String> = std::fs::read_dir(&mnt)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        !stderr.contains(".chainsmith-"),
        "the temporary path leaks into the message: {stderr}"
    );
    assert_eq!(
        entries,
        vec!["filler".to_owned()],
        "something was left behind"
    );
}

/// The `.cer` files in `dir` (none when it does not exist).
fn cer_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cer"))
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
#[test]
fn sigkill_during_convert_never_leaves_a_partial_cer() {
    if !have("openssl") {
        return;
    }
    // 1,385 certificates → 1,385 .cer files, written as one set at the end:
    // long enough to be killed while parsing, while staging, or renaming.
    const ALL: usize = 1385;
    let input = corpus("cfssl/bundler/int-bundle.pem");
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let convert = |out: &Path| {
        let mut cmd = std::process::Command::new(&bin);
        cmd.args(["convert", "--to", "der", "-o"])
            .arg(out)
            .arg(&input);
        cmd
    };
    // One unkilled run: how long the whole convert takes on this machine.
    let tmp = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let (ok, msg) = run(&mut convert(&tmp.path().join("timed")));
    let whole_run = started.elapsed();
    assert!(ok, "{msg}");
    assert_eq!(cer_files(&tmp.path().join("timed")).len(), ALL);

    // Kills spread over 0..1.2·T: early ones hit the parse (no folder yet),
    // middle ones the staging of temporary files, late ones the renames or
    // a finished run. On a busy machine one run's time says little about
    // the next: if no kill landed in one of the two halves, more kills are
    // made further out (or further in), a bounded number of times.
    const RUNS: u32 = 8;
    let (mut killed_mid_way, mut saw_final_files) = (0, 0);
    let one = |i: u32, at: std::time::Duration| -> (bool, bool) {
        let out = tmp.path().join(format!("der-{i}"));
        let mut child = convert(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let killed = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        let _ = child.wait();
        // Right after the kill: the old state (nothing), the whole new set,
        // or a committed set still being renamed, which its journal completes.
        let left = cer_files(&out).len();
        let journal = out.join(".chainsmith-journal").exists();
        assert!(
            journal || left == 0 || left == ALL,
            "{left} of {ALL} .cer files and no journal after SIGKILL at {at:?}"
        );
        let committed = journal || left > 0;
        // The next write into the folder completes an interrupted set first:
        // the same convert without --force then refuses to overwrite it; with
        // nothing committed it writes the set itself.
        let next = convert(&out).output().unwrap();
        let stderr = String::from_utf8_lossy(&next.stderr);
        if committed {
            assert_eq!(
                next.status.code(),
                Some(2),
                "after a kill at {at:?}: {stderr}"
            );
            assert!(stderr.contains("already exists"), "{stderr}");
        } else {
            assert_eq!(
                next.status.code(),
                Some(0),
                "after a kill at {at:?}: {stderr}"
            );
        }
        let names = cer_files(&out);
        assert_eq!(names.len(), ALL, "after a kill at {at:?} and the next run");
        // Every 70th file (20 of them), first and last included, is a
        // whole DER certificate.
        for name in names.iter().step_by(70).chain(names.last()) {
            assert!(
                whole(&out, name),
                "{name} is partial after SIGKILL at {at:?}"
            );
        }
        let leftovers: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".cer"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "temporary files or a journal left after the next run: {leftovers:?}"
        );
        // Freshly synced files are slow to unlink on a busy disk: one folder
        // at a time rather than all at the end.
        std::fs::remove_dir_all(&out).unwrap();
        (killed, committed)
    };
    let tally = |(killed, committed): (bool, bool), k: &mut u32, f: &mut u32| {
        *k += u32::from(killed);
        *f += u32::from(committed);
    };
    for i in 0..RUNS {
        let r = one(
            i,
            whole_run.mul_f64(1.2 * f64::from(i + 1) / f64::from(RUNS)),
        );
        tally(r, &mut killed_mid_way, &mut saw_final_files);
    }
    let mut extra = RUNS;
    for factor in [2.0, 3.0, 5.0] {
        if saw_final_files > 0 {
            break;
        }
        extra += 1;
        let r = one(extra, whole_run.mul_f64(factor));
        tally(r, &mut killed_mid_way, &mut saw_final_files);
    }
    for factor in [0.3, 0.15] {
        if killed_mid_way > 0 {
            break;
        }
        extra += 1;
        let r = one(extra, whole_run.mul_f64(factor));
        tally(r, &mut killed_mid_way, &mut saw_final_files);
    }
    eprintln!(
        "convert took {whole_run:?} unkilled; {killed_mid_way} of {RUNS} runs killed mid-way, {saw_final_files} left final files"
    );
    assert!(killed_mid_way > 0, "no run was killed mid-way");
    assert!(saw_final_files > 0, "no run got as far as its final files");
}

#[cfg(target_os = "linux")]
#[test]
fn a_read_only_output_directory_gives_a_clear_error() {
    if !is_root() {
        cannot_run("mounting a read-only file system needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("ro");
    std::fs::create_dir(&mnt).unwrap();
    // Read-only even for root, unlike permission bits.
    let (ok, msg) = run(std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"])
        .arg(&mnt));
    if !ok {
        cannot_run(&format!("cannot mount a tmpfs here ({msg})"));
        return;
    }
    let out = generate().san("a.example.com").out(&mnt).output();
    let listing: Vec<_> = std::fs::read_dir(&mnt).unwrap().collect();
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(listing.is_empty());
}

/// The one-`syncfs` flush of a large write set, with faults injected by
/// strace: a sandbox that refuses the call (ENOSYS) falls back to one fsync
/// per file and still writes every file; a write-back error (EIO) is one
/// line, exit 2, and the output directory is gone again.
#[test]
fn syncfs_refused_falls_back_and_syncfs_failing_leaves_nothing() {
    assert!(have("strace"), "strace is needed");
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let pile = corpus("cfssl/bundler/int-bundle.pem");
    let run = |inject: &str, out: &Path| {
        std::process::Command::new("strace")
            .args(["-f", "-qq", "-o"])
            .arg(dir.path().join(format!("trace-{inject}")))
            .args(["-e", "trace=syncfs,fsync", "-e"])
            .arg(format!("inject=syncfs:error={inject}"))
            .arg(&bin)
            .args(["convert", "--quiet", "--to", "der"])
            .arg(&pile)
            .arg("-o")
            .arg(out)
            .output()
            .unwrap()
    };

    let ok = dir.path().join("refused");
    let out = run("ENOSYS", &ok);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_dir(&ok).unwrap().count();
    assert_eq!(written, 1385, "every certificate has its .cer");
    let trace = std::fs::read_to_string(dir.path().join("trace-ENOSYS")).unwrap();
    assert!(
        trace.contains("syncfs(") && trace.contains("INJECTED"),
        "{trace}"
    );
    assert!(
        trace.matches("fsync(").count() >= 1385,
        "one fsync per file after the refusal"
    );

    let failed = dir.path().join("failed");
    let out = run("EIO", &failed);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Input/output error"), "{stderr}");
    assert!(!failed.exists(), "the output directory is removed again");
}
