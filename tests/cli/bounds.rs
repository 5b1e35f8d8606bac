//! Work bounds against hostile inputs (issue 13): piles of same-subject CAs
//! through `lint`, `inspect` and `bundle`, and `probe` against servers that
//! trickle or flood. Each bound is generous (a debug build on a shared
//! 2-core machine); the speed figures are in `benches/hot.rs`
//! (`same-name/*`) and `scripts/bench-same-name.sh`.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose,
    SerialNumber, date_time_ymd,
};

use crate::support::*;

const N: usize = 2000;
/// What a debug build may take for one command on a 2,000-certificate pile
/// (about 1 s here; the unfixed build took minutes).
const BOUND: Duration = Duration::from_secs(20);

fn ca_params(serial: u64, key_ids: bool) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.remove(DnType::CommonName);
    p.distinguished_name
        .push(DnType::CommonName, "Same Subject CA");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = date_time_ymd(2025, 1, 1);
    p.not_after = date_time_ymd(2035, 1, 1);
    p.use_authority_key_identifier_extension = key_ids;
    if !key_ids {
        // rcgen always writes an SKI for a CA; an empty one says nothing.
        p.key_identifier_method = KeyIdMethod::PreSpecified(Vec::new());
    }
    p
}

/// `N` self-signed CAs with one subject and distinct serials: one shared
/// key with key identifiers, or a key each and no AKI. Returns the file and
/// the shared key's parameters and key (to issue a leaf).
fn pile(dir: &Path, shared_key: bool) -> (PathBuf, CertificateParams, KeyPair) {
    let shared = KeyPair::generate().unwrap();
    let mut pem = String::new();
    for i in 0..N {
        let p = ca_params(i as u64 + 1, shared_key);
        let cert = if shared_key {
            p.self_signed(&shared).unwrap()
        } else {
            p.self_signed(&KeyPair::generate().unwrap()).unwrap()
        };
        pem.push_str(&cert.pem());
    }
    let f = dir.join(if shared_key {
        "same-key.pem"
    } else {
        "own-keys.pem"
    });
    std::fs::write(&f, pem).unwrap();
    (f, ca_params(1, true), shared)
}

fn timed(cmd: &mut assert_cmd::Command, what: &str) -> Output {
    let t = Instant::now();
    let out = cmd.output().unwrap();
    let took = t.elapsed();
    assert!(took < BOUND, "{what} took {took:?}");
    assert_ne!(out.status.code(), Some(101), "{what} panicked");
    out
}

/// openssl's count of the certificates in a file.
fn openssl_count(dir: &Path, file: &Path) -> usize {
    let text = openssl_ok(
        dir,
        &["storeutl", "-noout", "-certs", &file.to_string_lossy()],
    );
    let total = text
        .lines()
        .find_map(|l| l.strip_prefix("Total found: "))
        .unwrap_or_else(|| panic!("no total in {text}"));
    total.trim().parse().unwrap()
}

fn blocks(pem: &str) -> Vec<String> {
    let mut v: Vec<String> = pem
        .split_inclusive("-----END CERTIFICATE-----\n")
        .map(|b| b.trim_start().to_owned())
        .filter(|b| !b.is_empty())
        .collect();
    v.sort();
    v
}

/// openssl agrees that the first and the last certificate verify with
/// their own key (self-signed roots).
fn openssl_says_self_signed(dir: &Path, pem: &str) {
    let all = blocks(pem);
    for (k, b) in [all.first().unwrap(), all.last().unwrap()]
        .iter()
        .enumerate()
    {
        let one = dir.join(format!("sample{k}.pem"));
        std::fs::write(&one, b).unwrap();
        let f = one.to_string_lossy().into_owned();
        let (ok, text) = openssl(dir, &["verify", "-check_ss_sig", "-CAfile", &f, &f]);
        assert!(ok && text.contains(": OK"), "{text}");
    }
}

fn same_subject_pile_is_all_roots_in_bounded_time(shared_key: bool) {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let dir = tmp.path();
    let (file, _, _) = pile(dir, shared_key);
    let pem = std::fs::read_to_string(&file).unwrap();
    let count = openssl_count(dir, &file);
    assert_eq!(count, N);
    openssl_says_self_signed(dir, &pem);

    // lint: every certificate read, none missing an issuer, badly signed,
    // unrelated or duplicated (the serials differ).
    let out = timed(
        chainsmith()
            .args(["lint", "--format", "json", "--at", AT])
            .arg(&file),
        "lint",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["certificates"], count as u64);
    let codes: Vec<&str> = field_of_each(&v["findings"], "code");
    for bad in [
        "CS105", "CS204", "CS205", "CS206", "CS207", "CS208", "CS211",
    ] {
        assert!(!codes.contains(&bad), "{bad} in {codes:?}");
    }
    assert_eq!(out.status.code(), Some(0), "{codes:?}");

    // inspect: one chain per certificate, each a complete self-signed root.
    let out = timed(
        chainsmith()
            .args(["inspect", "--format", "json", "--at", AT])
            .arg(&file),
        "inspect",
    );
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let chains = v["chains"].as_array().unwrap();
    assert_eq!(chains.len(), count);
    for c in chains {
        let certs = c["certificates"].as_array().unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(c["complete"], true);
        assert_eq!(certs[0]["issuer_link"]["status"], "self_signed");
    }

    // bundle --for ca: every root, once, as openssl counts them.
    let bundled = dir.join("bundle.pem");
    let out = timed(
        chainsmith()
            .args(["bundle", "--for", "ca", "-o"])
            .arg(&bundled)
            .arg(&file),
        "bundle --for ca",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(openssl_count(dir, &bundled), count);
    assert_eq!(
        blocks(&std::fs::read_to_string(&bundled).unwrap()),
        blocks(&pem)
    );
}

#[test]
fn two_thousand_same_subject_cas_with_one_key_lint_inspect_and_bundle_in_bounded_time() {
    same_subject_pile_is_all_roots_in_bounded_time(true);
}

#[test]
fn two_thousand_same_subject_cas_with_own_keys_and_no_aki_in_bounded_time() {
    same_subject_pile_is_all_roots_in_bounded_time(false);
}

#[test]
fn a_leaf_against_two_thousand_same_subject_trust_anchors_in_bounded_time() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let dir = tmp.path();
    let (anchors, ca, key) = pile(dir, true);
    let mut p = CertificateParams::new(vec!["leaf.example.com".to_owned()]).unwrap();
    p.use_authority_key_identifier_extension = true;
    p.not_before = date_time_ymd(2025, 6, 1);
    p.not_after = date_time_ymd(2027, 6, 1);
    let leaf = p
        .signed_by(
            &KeyPair::generate().unwrap(),
            &rcgen::Issuer::from_params(&ca, &key),
        )
        .unwrap();
    let leaf_file = dir.join("leaf.pem");
    std::fs::write(&leaf_file, leaf.pem()).unwrap();
    let (ok, text) = openssl(
        dir,
        &[
            "verify",
            "-attime",
            "1780272000", // 2026-06-01
            "-CAfile",
            &anchors.to_string_lossy(),
            &leaf_file.to_string_lossy(),
        ],
    );
    assert!(ok, "openssl does not trust the leaf: {text}");
    let out = timed(
        chainsmith()
            .args(["lint", "--format", "json", "--at", AT, "--trust"])
            .arg(&anchors)
            .arg(&leaf_file),
        "lint --trust",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["trust"]["trusted"], true, "{v}");
}

/// A loopback server for one connection that runs `serve` and stops on its
/// own: `serve` loops a bounded number of times and stops at the first
/// write error (the probe has hung up).
fn server(
    serve: impl FnOnce(std::net::TcpStream) + Send + 'static,
) -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        if let Ok((s, _)) = listener.accept() {
            serve(s);
        }
    });
    (port, handle)
}

fn probe(port: u16, timeout: &str) -> (Output, Duration) {
    let t = Instant::now();
    let out = chainsmith()
        .args(["probe", &format!("127.0.0.1:{port}"), "--timeout", timeout])
        .output()
        .unwrap();
    (out, t.elapsed())
}

fn one_line_error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn probe_gives_up_on_a_server_trickling_one_byte_a_second() {
    // A TLS handshake record header announcing 16 KiB, then one byte a
    // second for at most 15 s.
    let (port, handle) = server(|mut s| {
        let _ = s.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]);
        for _ in 0..15 {
            if s.write_all(&[0x02]).and_then(|()| s.flush()).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let (out, took) = probe(port, "2");
    let err = one_line_error(&out);
    assert!(err.contains("timed out after 2.0s"), "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    handle.join().unwrap();
}

#[test]
fn probe_ends_on_a_server_sending_endless_garbage() {
    // A valid record header, then 64 KiB blocks as fast as the socket
    // takes them, up to 64 MiB.
    let (port, handle) = server(|mut s| {
        let _ = s.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]);
        let junk: Vec<u8> = (0..64 * 1024).map(|i| (i * 31 + 7) as u8).collect();
        for _ in 0..1024 {
            if s.write_all(&junk).is_err() {
                break;
            }
        }
    });
    let (out, took) = probe(port, "2");
    one_line_error(&out);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    handle.join().unwrap();
}
