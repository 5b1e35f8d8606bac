//! Hostile inputs: each is refused or reported cleanly, within bounds,
//! never a panic (exit codes 1 for findings, 2 for refused input).
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::support::*;

#[test]
fn a_100_mb_file_is_refused_before_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.pem");
    // Sparse: costs no disk, but its size is 100 MB.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    for cmd in [vec!["lint"], vec!["inspect"], vec!["bundle"]] {
        chainsmith().args(&cmd).arg(&big).assert().code(2).stderr(
            predicate::str::contains("big.pem").and(predicate::str::contains("input limit")),
        );
    }
}

#[test]
fn a_pem_with_100000_blocks_finishes_quickly_and_says_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("many.pem");
    let block = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    std::fs::write(&f, block.repeat(100_000)).unwrap();
    let t = Instant::now();
    let out = chainsmith()
        .args(["lint", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("CS101") || text.contains("CS102"),
        "{}",
        &text[..text.len().min(500)]
    );
    assert!(
        text.contains("the rest was not read"),
        "the block limit is not reported"
    );
}

#[test]
fn deeply_nested_and_oversized_der_lengths_are_findings_not_crashes() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // 0x30 0x84 length 4 GiB with 10 bytes behind it.
        (
            "huge-length.der",
            [vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xf0], vec![0; 10]].concat(),
        ),
        // 20,000 nested SEQUENCEs with indefinite lengths (BER, not DER).
        (
            "nested-indefinite.der",
            [[0x30, 0x80].repeat(20_000), vec![0; 40_000]].concat(),
        ),
        // 5,000 nested definite-length SEQUENCEs.
        ("nested-definite.der", {
            let mut v: Vec<u8> = vec![0x05, 0x00];
            for _ in 0..5_000 {
                let len = v.len();
                let mut hdr = vec![0x30, 0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8];
                hdr.extend(v);
                v = hdr;
            }
            v
        }),
    ];
    for (name, bytes) in cases {
        let f = tmp.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        chainsmith()
            .arg("lint")
            .arg(&f)
            .timeout(Duration::from_secs(20))
            .assert()
            .code(1)
            .stdout(predicate::str::contains("CS101"));
    }
}

#[test]
fn control_characters_in_names_are_escaped_in_human_output() {
    let tmp = tempfile::tempdir().unwrap();
    let evil = "Evil \u{1b}[31mRoot\u{7}";
    let out = generate_chain(tmp.path(), &["--root-cn", evil]);
    for cmd in [vec!["inspect"], vec!["lint", "--expect", "ca-bundle"]] {
        let o = chainsmith()
            .args(&cmd)
            .arg(out.join("root.crt"))
            .output()
            .unwrap();
        let all = [o.stdout, o.stderr].concat();
        assert!(!all.contains(&0x1b), "{cmd:?} printed a raw ESC");
        assert!(!all.contains(&0x07), "{cmd:?} printed a raw BEL");
        let text = String::from_utf8_lossy(&all);
        if cmd[0] == "inspect" {
            assert!(text.contains("\\u{1b}[31mRoot"), "{text}");
        }
    }
}

#[cfg(unix)]
#[test]
fn symlinks_fifos_and_loops_in_a_scanned_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("certs");
    std::fs::create_dir(&d).unwrap();
    std::fs::copy(fixture("server-fullchain.pem"), d.join("good.pem")).unwrap();
    std::os::unix::fs::symlink(d.join("good.pem"), d.join("link.pem")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("nowhere.pem"), d.join("dangling.pem")).unwrap();
    // A directory symlink loop must not be followed.
    std::os::unix::fs::symlink(&d, d.join("loop")).unwrap();
    // A FIFO would block a reader forever.
    mkfifo(&d.join("pipe.pem"));
    chainsmith()
        .args(["lint"])
        .arg(&d)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(0)
        // good.pem and link.pem, 2 certificates each; not "12 files".
        .stdout(
            predicate::str::is_match(r"(?m)^summary: no findings in 2 files \(4 certificates\)$")
                .unwrap(),
        );
}

#[test]
fn fuzz_regression_shared_issuer_is_shown_once() {
    // Found by the `chain` fuzz target: mutated copies of a sub CA made the
    // chain list show the intermediate alone and again above the sub CA.
    let f = fixture("fuzz/chain-shared-issuer.bin");
    let out = chainsmith().arg("inspect").arg(&f).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let heads: Vec<&str> = text.lines().filter(|l| l.starts_with("chain ")).collect();
    assert_eq!(heads.len(), 2, "{text}");
    let tops = text
        .lines()
        .filter(|l| l.contains("[intermediate] Fixture Intermediate CA"))
        .count();
    assert_eq!(tops, 1, "the intermediate is shown more than once:\n{text}");
}

/// The base64 body lines of every key block in `pem`.
fn key_lines(pem: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for l in pem.lines() {
        if l.starts_with("-----BEGIN") && l.contains("PRIVATE KEY") {
            inside = true;
        } else if l.starts_with("-----END") {
            inside = false;
        } else if inside && l.len() >= 16 {
            out.push(l.to_owned());
        }
    }
    assert!(!out.is_empty());
    out
}

#[test]
fn no_command_that_handles_keys_prints_key_material() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, "pfx-pass\n").unwrap();
    let mut secrets = key_lines(&std::fs::read_to_string(fixture("server.key")).unwrap());
    for k in ["root.key", "intermediate.key", "server.key"] {
        secrets.extend(key_lines(&std::fs::read_to_string(chain.join(k)).unwrap()));
    }
    let p = |x: &std::path::Path| x.display().to_string();
    let (with_key, server_key, pw) = (
        p(&fixture("with-private-key.pem")),
        p(&fixture("server.key")),
        p(&pw),
    );
    let (int_fixture, fullchain) = (
        p(&fixture("intermediate.crt")),
        p(&fixture("server-fullchain.pem")),
    );
    let (pfx, chain_dir) = (p(&tmp.path().join("s.pfx")), p(&chain));
    let (back, apisix, issued) = (
        p(&tmp.path().join("back.pem")),
        p(&tmp.path().join("apisix")),
        p(&tmp.path().join("issued")),
    );
    let (int_crt, int_key) = (
        p(&chain.join("intermediate.crt")),
        p(&chain.join("intermediate.key")),
    );
    let runs: Vec<Vec<&str>> = vec![
        vec!["lint", "-v", &with_key],
        vec!["lint", "--format", "json", &with_key],
        vec!["inspect", "--format", "json", &with_key],
        vec!["bundle", "--for", "server", &with_key, &int_fixture],
        vec!["convert", "--to", "pem", &with_key],
        vec![
            "convert",
            "--to",
            "pfx",
            "-v",
            "--key",
            &server_key,
            "--password-file",
            &pw,
            "-o",
            &pfx,
            &fullchain,
        ],
        vec![
            "convert",
            "--to",
            "pem",
            "--with-key",
            "--password-file",
            &pw,
            "-o",
            &back,
            &pfx,
        ],
        vec!["export", "apisix", "--from", &chain_dir, "-o", &apisix],
        vec![
            "issue",
            "-v",
            "--san",
            "x.example.com",
            "--ca",
            &int_crt,
            "--ca-key",
            &int_key,
            "-o",
            &issued,
        ],
    ];
    // Each command does its job (lint finds the key: exit 1), so a usage
    // error that prints nothing cannot pass for "printed no key".
    let codes = [1, 1, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(runs.len(), codes.len());
    for (args, code) in runs.iter().zip(codes) {
        let out = chainsmith().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !text.contains("PRIVATE KEY-----"),
            "{args:?} printed a key block"
        );
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{args:?} printed key material");
        }
    }
    // The key written by --with-key is in its own 0600 file, not the output,
    // and it is the key that went into the PFX.
    let back_key = tmp.path().join("back.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&back_key)
            .unwrap_or_else(|e| panic!("back.key: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "back.key mode {mode:o}");
    }
    if have("openssl") {
        let public = |dir: &std::path::Path, file: &str| {
            let (ok, out) = openssl(dir, &["pkey", "-pubout", "-in", file]);
            assert!(ok, "openssl pkey {file}: {out}");
            out
        };
        assert_eq!(
            public(tmp.path(), "back.key"),
            public(&fixture(""), "server.key"),
            "back.key is not server.key"
        );
    }
    let back_pem = std::fs::read_to_string(tmp.path().join("back.pem")).unwrap();
    assert!(back_pem.contains("BEGIN CERTIFICATE"), "{back_pem}");
    assert!(
        !back_pem.contains("PRIVATE KEY"),
        "back.pem holds a key:\n{back_pem}"
    );
}

#[test]
fn non_utf8_bytes_in_a_subject_are_handled_and_escaped() {
    // rcgen writes the CN as a UTF8String; patch its bytes into invalid
    // UTF-8 (0xFF 0xFE), as a hostile or broken issuer would.
    let tmp = tempfile::tempdir().unwrap();
    let out = generate_chain(tmp.path(), &["--root-cn", "bad\u{ff}\u{fe}\u{1b}name"]);
    let mut der = std::fs::read(out.join("root.cer")).unwrap();
    let needle = [0xc3, 0xbf, 0xc3, 0xbe];
    let mut patched = 0;
    let mut i = 0;
    while i + needle.len() <= der.len() {
        if der[i..i + needle.len()] == needle {
            der[i] = 0xff;
            der[i + 1] = 0xfe;
            patched += 1;
        }
        i += 1;
    }
    assert_eq!(patched, 2, "subject and issuer");
    let f = tmp.path().join("non-utf8.cer");
    std::fs::write(&f, &der).unwrap();
    for cmd in [
        vec!["inspect"],
        vec!["lint"],
        vec!["lint", "--format", "json"],
        vec!["bundle", "--allow-incomplete"],
    ] {
        let o = chainsmith().args(&cmd).arg(&f).output().unwrap();
        let code = o.status.code();
        assert!(matches!(code, Some(0..=2)), "{cmd:?}: {code:?}");
        let all = [o.stdout, o.stderr].concat();
        assert!(!all.contains(&0x1b), "{cmd:?} printed a raw ESC");
        if cmd[0] != "bundle" {
            assert!(
                std::str::from_utf8(&all).is_ok(),
                "{cmd:?} printed invalid UTF-8"
            );
        }
    }
}
