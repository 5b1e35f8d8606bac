//! The gateway story end to end: a chain from `generate`, served by nginx on
//! 127.0.0.1, checked with clients nobody here wrote (curl, openssl
//! s_client, Python's ssl) that read trust the way gateways do.
use std::process::Command as StdCommand;

use crate::support::*;

#[test]
fn generated_chain_served_by_nginx_is_trusted_through_the_ca_bundle_only() {
    let Some(tmp) = tempdir_with(&["curl", "openssl", "python3"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &[]);
    let Some(ng) = Nginx::serving(&chain, "server-fullchain.crt") else {
        return;
    };
    // curl reads --cacert (Debian's curl ignores SSL_CERT_FILE).
    let (ok, out) = curl_ok("www.example.com", ng.port, &chain.join("ca-bundle.crt"));
    assert!(ok && out.contains("ok"), "curl with ca-bundle.crt: {out}");
    // Only the root is needed by the client when the server sends the intermediate.
    let (ok, out) = curl_ok("www.example.com", ng.port, &chain.join("root.crt"));
    assert!(ok, "curl with root.crt: {out}");
    // Note: curl (7.68+) turns on OpenSSL's partial-chain mode, so it would
    // accept the server certificate itself as a trust anchor. .NET, APIM and
    // OpenSSL's own clients do not; they are the ones checked for the
    // leaf-as-trust mistake below.

    // OpenSSL's default paths honour SSL_CERT_FILE, as .NET on Linux does.
    let s_client = |trust: &str| {
        run(StdCommand::new("openssl")
            .args([
                "s_client",
                "-verify_return_error",
                "-brief",
                "-servername",
                "www.example.com",
                "-connect",
            ])
            .arg(ng.addr())
            .env("SSL_CERT_FILE", chain.join(trust))
            .stdin(std::process::Stdio::null()))
    };
    let (ok, out) = s_client("ca-bundle.crt");
    assert!(
        ok && out.contains("Verification: OK"),
        "s_client with SSL_CERT_FILE: {out}"
    );
    let (ok, out) = s_client("server.crt");
    assert!(!ok, "s_client must fail with only server.crt: {out}");
    // ... because the path cannot be completed, not for some other reason.
    assert!(
        out.contains("unable to get local issuer certificate"),
        "s_client with only server.crt failed for another reason: {out}"
    );

    let py = format!(
        "import socket, ssl\nctx = ssl.create_default_context()\n\
         with socket.create_connection(('127.0.0.1', {port}), timeout=10) as s:\n\
         \x20   with ctx.wrap_socket(s, server_hostname='www.example.com') as t:\n\
         \x20       print('verified', t.version())\n",
        port = ng.port
    );
    let python = |trust: &str| {
        run(StdCommand::new("python3")
            .args(["-c", &py])
            .env("SSL_CERT_FILE", chain.join(trust)))
    };
    let (ok, out) = python("ca-bundle.crt");
    assert!(
        ok && out.contains("verified"),
        "python ssl with SSL_CERT_FILE: {out}"
    );
    let (ok, out) = python("server.crt");
    assert!(
        !ok,
        "python must not trust the server with only server.crt: {out}"
    );
    assert!(
        out.contains("CERTIFICATE_VERIFY_FAILED"),
        "python failed for another reason: {out}"
    );
}

#[test]
fn leaf_alone_served_needs_the_intermediate_in_the_client_bundle() {
    let Some(tmp) = tempdir_with(&["curl"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &[]);
    let Some(ng) = Nginx::serving(&chain, "server.crt") else {
        return;
    };
    // A client holding only the root cannot build the path: the missing
    // intermediate is the classic incomplete-chain failure.
    let (ok, out) = curl_ok("www.example.com", ng.port, &chain.join("root.crt"));
    assert!(
        !ok,
        "curl trusted a leaf-only chain with just the root: {out}"
    );
    // Exit 60: the peer's certificate cannot be authenticated.
    assert!(
        out.contains("curl: (60) SSL certificate problem"),
        "curl failed for another reason: {out}"
    );
    // With root and intermediate (ca-bundle.crt) it works: why the client
    // must trust both.
    let (ok, out) = curl_ok("www.example.com", ng.port, &chain.join("ca-bundle.crt"));
    assert!(ok, "{out}");
}

/// `chainsmith probe` against a server, returning (exit code, stdout).
fn probe(addr: &str, extra: &[&str]) -> (i32, String) {
    let out = chainsmith()
        .args(["probe", addr, "--sni", "www.example.com", "--timeout", "10"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn server_certificate_as_ca_bundle_is_cs201() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    chainsmith()
        .args(["lint", "--expect", "ca-bundle"])
        .arg(chain.join("server.crt"))
        .assert()
        .code(1)
        .stdout(predicates::str::contains("CS201"));
    chainsmith()
        .args(["lint"])
        .arg(chain.join("ca-bundle.crt"))
        .arg(chain.join("server-fullchain.crt"))
        .assert()
        .code(0);
}

#[test]
fn probe_sees_a_good_chain_clean_and_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let Some(ng) = Nginx::serving(&chain, "server-fullchain.crt") else {
        return;
    };
    let bundle = chain.join("ca-bundle.crt");
    let (code, out) = probe(&ng.addr(), &["--ca-bundle", bundle.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sent 2 certificates"), "{out}");
    let verdicts: Vec<&str> = out.lines().filter(|l| l.starts_with("trust: ")).collect();
    assert_eq!(verdicts.len(), 1, "{out}");
    assert!(
        verdicts[0].starts_with(&format!("trust: {} (served chain): trusted: ", ng.addr())),
        "{out}"
    );
    assert!(!out.contains("NOT trusted"), "{out}");
    // Without the intermediate in the bundle it is still trusted: the server sends it.
    let (code, out) = probe(
        &ng.addr(),
        &["--ca-bundle", chain.join("root.crt").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    // A client holding only the server certificate would not trust it.
    let (code, out) = probe(
        &ng.addr(),
        &["--ca-bundle", chain.join("server.crt").to_str().unwrap()],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CS213"), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with(&format!(
            "trust: {} (served chain): NOT trusted: ",
            ng.addr()
        ))),
        "{out}"
    );
}

#[test]
fn probe_reports_a_leaf_served_alone_as_missing_intermediate() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let Some(ng) = Nginx::serving(&chain, "server.crt") else {
        return;
    };
    let (code, out) = probe(&ng.addr(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[CS204]"), "{out}");
}

#[test]
fn probe_reports_a_chain_served_in_the_wrong_order() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    // nginx needs the leaf first (it checks it against the key), so the
    // wrong order that reaches production is leaf, root, intermediate.
    let wrong = tmp.path().join("wrong-order.crt");
    let read = |f: &str| std::fs::read_to_string(chain.join(f)).unwrap();
    std::fs::write(
        &wrong,
        format!(
            "{}{}{}",
            read("server.crt"),
            read("root.crt"),
            read("intermediate.crt")
        ),
    )
    .unwrap();
    let Some(ng) = Nginx::start(&wrong, &chain.join("server.key")) else {
        return;
    };
    let (code, out) = probe(&ng.addr(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[CS203]"), "{out}");
    assert!(out.contains("CS210"), "the root was sent too: {out}");
}

#[test]
fn probe_after_renew_and_reload_shows_the_new_serial_still_trusted() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &[]);
    let Some(mut ng) = Nginx::serving(&chain, "server-fullchain.crt") else {
        return;
    };
    let serial_of = |dir: &std::path::Path| {
        let (ok, s) = openssl(dir, &["x509", "-in", "server.crt", "-noout", "-serial"]);
        assert!(ok, "{s}");
        s.trim().trim_start_matches("serial=").to_owned()
    };
    let old_serial = serial_of(&chain);
    let (_, before) = probe(&ng.addr(), &[]);
    assert!(before.contains(&old_serial), "{before}");

    let renewed = tmp.path().join("renewed");
    issue_by_chain(&chain)
        .flag("--ca-chain", chain.join("ca-bundle.crt"))
        .renew(chain.join("server.crt"))
        .out(&renewed)
        .assert()
        .success();
    let new_serial = serial_of(&renewed);
    assert_ne!(old_serial, new_serial);
    ng.reload(
        &renewed.join("server-fullchain.crt"),
        &renewed.join("server.key"),
    );

    // The reload is asynchronous: wait (bounded) for the new certificate.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let bundle = chain.join("ca-bundle.crt");
    loop {
        let (code, out) = probe(&ng.addr(), &["--ca-bundle", bundle.to_str().unwrap()]);
        if out.contains(&new_serial) {
            assert_eq!(
                code, 0,
                "the old bundle must trust the renewed chain: {out}"
            );
            assert!(!out.contains(&old_serial), "{out}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nginx still serves the old certificate: {out}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (ok, out) = curl_ok("www.example.com", ng.port, &bundle);
    assert!(ok, "{out}");
}

#[test]
fn probe_errors_are_one_line_and_exit_2_within_the_timeout() {
    // Refused.
    let port = free_port();
    let t = std::time::Instant::now();
    chainsmith()
        .args(["probe", &format!("127.0.0.1:{port}"), "--timeout", "3"])
        .refused("connection failed");
    // Not TLS.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            use std::io::Write;
            let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n");
        }
    });
    chainsmith()
        .args(["probe", &addr.to_string(), "--timeout", "3"])
        .refused("TLS handshake failed");
    server.join().unwrap();
    // Silent: a time-out, within the limit.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let t2 = std::time::Instant::now();
    chainsmith()
        .args(["probe", &addr.to_string(), "--timeout", "0.5"])
        .refused("timed out");
    assert!(t2.elapsed() < std::time::Duration::from_secs(5));
    drop(silent);
    assert!(t.elapsed() < std::time::Duration::from_secs(20));
}
