//! Chain completion through AIA caIssuers (`probe --fetch-aia`, `bundle
//! --fetch-aia`) and from a local pool (`probe --intermediates DIR`). The
//! chains are made by openssl with caIssuers URLs pointing at Python's
//! `http.server` on 127.0.0.1; the servers leaf-only `openssl s_server`s.
//! What was added is checked with `openssl verify` and openssl's
//! fingerprints; the hostile cases (a loop of two URLs, a 10 MB response,
//! a URL that never answers, non-http schemes) must end within the bounds.
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

fn ossl(dir: &Path, args: &[&str]) {
    let (ok, out) = openssl(dir, args);
    assert!(ok, "openssl {args:?}: {out}");
}

/// An EC key `NAME.key` and a CSR `NAME.csr` for `CN=cn`.
fn key_and_csr(dir: &Path, name: &str, cn: &str) {
    openssl_p256_csr(
        dir,
        &format!("{name}.key"),
        &format!("{name}.csr"),
        &format!("/CN={cn}"),
    );
}

/// Sign `NAME.csr` with `ca` (`ca.crt`, `ca_key`), as a CA or a server
/// leaf, with a caIssuers URL when given; writes `NAME.crt`.
fn sign(dir: &Path, name: &str, ca: &str, ca_key: &str, is_ca: bool, aia: Option<&str>) {
    let mut ext = if is_ca {
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n".to_owned()
    } else {
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.com\n"
            .to_owned()
    };
    if let Some(url) = aia {
        ext.push_str(&format!("authorityInfoAccess=caIssuers;URI:{url}\n"));
    }
    let ext_file = format!("{name}.ext");
    std::fs::write(dir.join(&ext_file), ext).unwrap();
    openssl_sign_csr(
        dir,
        name,
        ca,
        ca_key,
        &["-days", "30", "-extfile", &ext_file],
    );
}

fn der(dir: &Path, name: &str, out: &str) {
    ossl(
        dir,
        &[
            "x509",
            "-in",
            &format!("{name}.crt"),
            "-outform",
            "DER",
            "-out",
            out,
        ],
    );
}

/// openssl's SHA-256 fingerprint of `NAME.crt`, as chainsmith's 12-hex prefix.
fn fingerprint_prefix(dir: &Path, name: &str) -> String {
    let (ok, out) = openssl(
        dir,
        &[
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            &format!("{name}.crt"),
        ],
    );
    assert!(ok, "{out}");
    out.trim()
        .split('=')
        .nth(1)
        .unwrap()
        .replace(':', "")
        .to_lowercase()[..12]
        .to_owned()
}

/// `python3 -m http.server` on 127.0.0.1:`port` serving `dir`, killed on drop.
struct Http {
    _child: KillOnDrop,
}

impl Http {
    fn start(dir: &Path, port: u16) -> Http {
        let child = StdCommand::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Http {
            _child: KillOnDrop::listening(child, port, "python3 -m http.server"),
        }
    }
}

/// A root, and an intermediate whose caIssuers is `root_url`, in `dir`.
fn root_and_intermediate(dir: &Path, root_url: &str) {
    openssl_ca(dir, "root", "AIA Test Root");
    key_and_csr(dir, "int", "AIA Test Intermediate");
    sign(dir, "int", "root", "root", true, Some(root_url));
}

/// A leaf from the intermediate with caIssuers `url`, served alone by s_server.
fn leaf_server(dir: &Path, name: &str, url: &str) -> SServer {
    key_and_csr(dir, name, "www.example.com");
    sign(dir, name, "int", "int", false, Some(url));
    SServer::start(
        dir,
        &[
            "-cert",
            &format!("{name}.crt"),
            "-key",
            &format!("{name}.key"),
        ],
    )
    .unwrap()
}

/// `chainsmith probe ADDR --sni www.example.com EXTRA`.
fn probe_output(addr: &str, extra: &[&str]) -> std::process::Output {
    chainsmith()
        .args(["probe", addr, "--sni", "www.example.com"])
        .args(extra)
        .output()
        .unwrap()
}

/// [`probe_output`] as JSON: the report, how long it took, and stderr.
fn probe(addr: &str, extra: &[&str]) -> (serde_json::Value, Duration, String) {
    let t = Instant::now();
    let out = probe_output(addr, &[&["--format", "json"], extra].concat());
    let took = t.elapsed();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (v, took, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn setup() -> Option<(tempfile::TempDir, PathBuf, u16)> {
    if !have("openssl") || !have("python3") {
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let www = tmp.path().join("www");
    std::fs::create_dir(&www).unwrap();
    Some((tmp, www, free_port()))
}

#[test]
fn a_leaf_only_server_is_completed_through_der_pem_and_p7c_responses() {
    let Some((tmp, www, port)) = setup() else {
        return;
    };
    let d = tmp.path();
    root_and_intermediate(d, &format!("http://127.0.0.1:{port}/root.pem"));
    std::fs::copy(d.join("root.crt"), www.join("root.pem")).unwrap();
    der(d, "int", www.join("int.cer").to_str().unwrap());
    ossl(
        d,
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "int.crt",
            "-outform",
            "DER",
            "-out",
            www.join("int.p7c").to_str().unwrap(),
        ],
    );
    let _http = Http::start(&www, port);

    for (leaf, file) in [("leafder", "int.cer"), ("leafp7c", "int.p7c")] {
        let url = format!("http://127.0.0.1:{port}/{file}");
        let srv = leaf_server(d, leaf, &url);
        // Without the flag nothing is fetched.
        let (v, _, _) = probe(&srv.addr(), &[]);
        assert!(v["targets"][0]["completed"].as_array().unwrap().is_empty());
        let (v, _, _) = probe(&srv.addr(), &["--fetch-aia"]);
        let t = &v["targets"][0];
        let done = t["completed"].as_array().unwrap();
        assert_eq!(done.len(), 2, "{t}");
        assert_eq!(done[0]["from"], url.as_str());
        assert_eq!(done[0]["source"], "aia");
        assert_eq!(done[0]["sha256_prefix"], fingerprint_prefix(d, "int"));
        assert_eq!(done[1]["from"], format!("http://127.0.0.1:{port}/root.pem"));
        assert_eq!(done[1]["sha256_prefix"], fingerprint_prefix(d, "root"));
        assert!(t["completion_notes"].as_array().unwrap().is_empty(), "{t}");
        // openssl agrees the two complete this leaf's chain.
        let (ok, out) = openssl_verify(d, "root.crt", "int.crt", &format!("{leaf}.crt"));
        assert!(ok, "{out}");
        // The served chain is still linted as served: the intermediate is missing.
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "CS204"),
            "{v}"
        );
    }
    // The human output shows each fetched certificate with its URL.
    let srv = leaf_server(d, "leafh", &format!("http://127.0.0.1:{port}/int.cer"));
    let out = probe_output(&srv.addr(), &["--fetch-aia"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "completed: added CN=AIA Test Intermediate [{}] (issuer of CN=www.example.com) from aia http://127.0.0.1:{port}/int.cer",
            fingerprint_prefix(d, "int")
        )),
        "{text}"
    );
    // GitHub annotations carry the URL too.
    let out = probe_output(&srv.addr(), &["--fetch-aia", "--format", "github"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("::notice title=") && l.contains("int.cer")),
        "{text}"
    );
}

#[test]
fn the_intermediates_pool_completes_offline() {
    let Some((tmp, _www, port)) = setup() else {
        return;
    };
    let d = tmp.path();
    // The URLs point nowhere: nothing is fetched without --fetch-aia.
    root_and_intermediate(d, &format!("http://127.0.0.1:{port}/root.pem"));
    let srv = leaf_server(d, "leaf", &format!("http://127.0.0.1:{port}/int.cer"));
    let pool = d.join("pool");
    std::fs::create_dir(&pool).unwrap();
    std::fs::copy(d.join("int.crt"), pool.join("int.pem")).unwrap();
    std::fs::copy(d.join("root.crt"), pool.join("root.pem")).unwrap();
    std::fs::write(pool.join("notes.txt"), "not a certificate\n").unwrap();
    let (v, _, _) = probe(&srv.addr(), &["--intermediates", pool.to_str().unwrap()]);
    let done = v["targets"][0]["completed"].as_array().unwrap();
    assert_eq!(done.len(), 2, "{v}");
    assert_eq!(done[0]["source"], "intermediates");
    assert_eq!(done[0]["sha256_prefix"], fingerprint_prefix(d, "int"));
    assert!(done[0]["from"].as_str().unwrap().contains("int.pem"), "{v}");
    assert_eq!(done[1]["sha256_prefix"], fingerprint_prefix(d, "root"));
}

#[test]
fn a_loop_of_two_urls_ends() {
    let Some((tmp, www, port)) = setup() else {
        return;
    };
    let d = tmp.path();
    // A and B certify each other: A signed by B's key, B by A's key, each
    // pointing at the other's URL.
    let a_url = format!("http://127.0.0.1:{port}/a.cer");
    let b_url = format!("http://127.0.0.1:{port}/b.cer");
    openssl_ca(d, "tmpb", "Loop B");
    key_and_csr(d, "a", "Loop A");
    sign(d, "a", "tmpb", "tmpb", true, Some(&b_url));
    key_and_csr(d, "b", "Loop B");
    // B's key must be tmpb's key, so A verifies under B.
    std::fs::copy(d.join("tmpb.key"), d.join("b.key")).unwrap();
    ossl(
        d,
        &[
            "req",
            "-new",
            "-key",
            "b.key",
            "-out",
            "b.csr",
            "-subj",
            "/CN=Loop B",
        ],
    );
    sign(d, "b", "a", "a", true, Some(&a_url));
    der(d, "a", www.join("a.cer").to_str().unwrap());
    der(d, "b", www.join("b.cer").to_str().unwrap());
    key_and_csr(d, "leaf", "www.example.com");
    sign(d, "leaf", "a", "a", false, Some(&a_url));
    let srv = SServer::start(d, &["-cert", "leaf.crt", "-key", "leaf.key"]).unwrap();
    let _http = Http::start(&www, port);
    let (v, took, _) = probe(&srv.addr(), &["--fetch-aia", "--timeout", "5"]);
    let t = &v["targets"][0];
    let done = t["completed"].as_array().unwrap();
    assert!(done.len() <= 5, "{t}");
    assert_eq!(done[0]["sha256_prefix"], fingerprint_prefix(d, "a"));
    assert_eq!(done[1]["sha256_prefix"], fingerprint_prefix(d, "b"));
    let notes = t["completion_notes"].to_string();
    assert!(notes.contains("a loop of caIssuers URLs"), "{t}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

#[test]
fn oversized_silent_and_non_http_urls_are_refused_within_bounds() {
    let Some((tmp, www, port)) = setup() else {
        return;
    };
    let d = tmp.path();
    root_and_intermediate(d, &format!("http://127.0.0.1:{port}/root.pem"));
    // 10 MB.
    std::fs::write(www.join("big.cer"), vec![0x30u8; 10 * 1024 * 1024]).unwrap();
    let _http = Http::start(&www, port);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let cases = [
        (
            "big",
            format!("http://127.0.0.1:{port}/big.cer"),
            "larger than 1048576 bytes",
        ),
        (
            "silent",
            format!("http://127.0.0.1:{silent_port}/int.cer"),
            "timed out",
        ),
        (
            "ldap",
            "ldap://127.0.0.1/cn=AIA%20Test%20Intermediate".to_owned(),
            "only http:// caIssuers URLs are followed",
        ),
        (
            "file",
            "file:///etc/passwd".to_owned(),
            "only http:// caIssuers URLs are followed",
        ),
        (
            "https",
            format!("https://127.0.0.1:{port}/int.cer"),
            "only http:// caIssuers URLs are followed",
        ),
        (
            "notfound",
            format!("http://127.0.0.1:{port}/missing.cer"),
            "HTTP status",
        ),
    ];
    for (name, url, expect) in cases {
        let srv = leaf_server(d, name, &url);
        let (v, took, _) = probe(&srv.addr(), &["--fetch-aia", "--timeout", "2"]);
        let t = &v["targets"][0];
        assert!(t["completed"].as_array().unwrap().is_empty(), "{name}: {t}");
        let notes = t["completion_notes"].to_string();
        assert!(notes.contains(expect), "{name}: {t}");
        // The handshake and the completion each have --timeout.
        assert!(took < Duration::from_secs(7), "{name} took {took:?}");
    }
    drop(silent);
}

#[test]
fn bundle_fetch_aia_completes_a_served_chain() {
    let Some((tmp, www, port)) = setup() else {
        return;
    };
    let d = tmp.path();
    root_and_intermediate(d, &format!("http://127.0.0.1:{port}/root.pem"));
    der(d, "int", www.join("int.cer").to_str().unwrap());
    key_and_csr(d, "leaf", "www.example.com");
    sign(
        d,
        "leaf",
        "int",
        "int",
        false,
        Some(&format!("http://127.0.0.1:{port}/int.cer")),
    );
    let _http = Http::start(&www, port);
    let out = d.join("served.pem");
    let run = chainsmith()
        .args(["bundle", "--for", "server", "--fetch-aia", "--timeout", "5"])
        .arg(d.join("leaf.crt"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("from http://127.0.0.1:{port}/int.cer")),
        "{stderr}"
    );
    // openssl: the bundle (leaf, fetched intermediate) verifies to the root.
    let (ok, text) = openssl_verify(d, "root.crt", "served.pem", "leaf.crt");
    assert!(ok, "{text}");
    // Without the flag the leaf alone is an incomplete chain: exit 2.
    chainsmith()
        .args(["bundle", "--for", "server"])
        .arg(d.join("leaf.crt"))
        .assert()
        .code(2);
}
