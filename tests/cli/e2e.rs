//! The gateway story end to end: a chain from `generate`, served by nginx on
//! 127.0.0.1, checked with clients nobody here wrote (curl, openssl
//! s_client, Python's ssl) that read trust the way gateways do.
use std::process::Command as StdCommand;

use crate::support::*;

#[test]
fn generated_chain_served_by_nginx_is_trusted_through_the_ca_bundle_only() {
    if !have("curl") || !have("openssl") || !have("python3") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let Some(ng) = Nginx::start(
        &chain.join("server-fullchain.crt"),
        &chain.join("server.key"),
    ) else {
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
    let (ok, out) = run(StdCommand::new("openssl")
        .args([
            "s_client",
            "-verify_return_error",
            "-brief",
            "-servername",
            "www.example.com",
            "-connect",
        ])
        .arg(ng.addr())
        .env("SSL_CERT_FILE", chain.join("ca-bundle.crt"))
        .stdin(std::process::Stdio::null()));
    assert!(
        ok && out.contains("Verification: OK"),
        "s_client with SSL_CERT_FILE: {out}"
    );
    let (ok, out) = run(StdCommand::new("openssl")
        .args([
            "s_client",
            "-verify_return_error",
            "-brief",
            "-servername",
            "www.example.com",
            "-connect",
        ])
        .arg(ng.addr())
        .env("SSL_CERT_FILE", chain.join("server.crt"))
        .stdin(std::process::Stdio::null()));
    assert!(!ok, "s_client must fail with only server.crt: {out}");

    let py = format!(
        "import socket, ssl\nctx = ssl.create_default_context()\n\
         with socket.create_connection(('127.0.0.1', {port}), timeout=10) as s:\n\
         \x20   with ctx.wrap_socket(s, server_hostname='www.example.com') as t:\n\
         \x20       print('verified', t.version())\n",
        port = ng.port
    );
    let (ok, out) = run(StdCommand::new("python3")
        .args(["-c", &py])
        .env("SSL_CERT_FILE", chain.join("ca-bundle.crt")));
    assert!(
        ok && out.contains("verified"),
        "python ssl with SSL_CERT_FILE: {out}"
    );
    let (ok, _) = run(StdCommand::new("python3")
        .args(["-c", &py])
        .env("SSL_CERT_FILE", chain.join("server.crt")));
    assert!(!ok, "python must not trust the server with only server.crt");
}

#[test]
fn leaf_alone_served_needs_the_intermediate_in_the_client_bundle() {
    if !have("curl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let Some(ng) = Nginx::start(&chain.join("server.crt"), &chain.join("server.key")) else {
        return;
    };
    // A client holding only the root cannot build the path: the missing
    // intermediate is the classic incomplete-chain failure.
    let (ok, out) = curl_ok("www.example.com", ng.port, &chain.join("root.crt"));
    assert!(
        !ok,
        "curl trusted a leaf-only chain with just the root: {out}"
    );
    // With root and intermediate (ca-bundle.crt) it works: why the client
    // must trust both.
    let (ok, out) = curl_ok("www.example.com", ng.port, &chain.join("ca-bundle.crt"));
    assert!(ok, "{out}");
}
