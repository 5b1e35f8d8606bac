//! `probe` against servers that ask for a client certificate (mutual TLS)
//! and servers that end the handshake with an alert, on 127.0.0.1:
//! `openssl s_server` with `-verify` / `-Verify`, nginx with
//! `ssl_verify_client on|optional` and `ssl_client_certificate`, and nginx
//! with a per-SNI certificate standing in for APISIX. Every verdict is
//! checked against clients nobody here wrote: `openssl s_client` for the CA
//! names the server lists, Python's `ssl` for the alert, curl for nginx's
//! answer over HTTP.
use std::path::PathBuf;
use std::process::Command as StdCommand;

use crate::support::*;

/// Server chain (chainsmith), a client CA and a stranger CA (openssl), a
/// client certificate from each CA, and a PFX of the good one.
struct Pki {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    chain: PathBuf,
}

fn pki() -> Option<Pki> {
    if !have("openssl") || !have("python3") {
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let chain = generate_chain(&dir, &[]);
    openssl_ca(&dir, "clientca", "Probe Client CA");
    openssl_ca(&dir, "stranger", "Stranger CA");
    openssl_client_cert(&dir, "clientca", "good", "good-client");
    openssl_client_cert(&dir, "stranger", "bad", "bad-client");
    std::fs::write(dir.join("pfx.pass"), "s3cret\n").unwrap();
    let (ok, out) = openssl(
        &dir,
        &[
            "pkcs12",
            "-export",
            "-in",
            "good.crt",
            "-inkey",
            "good.key",
            "-out",
            "good.pfx",
            "-passout",
            "file:pfx.pass",
        ],
    );
    assert!(ok, "openssl pkcs12 -export: {out}");
    Some(Pki {
        _tmp: tmp,
        dir,
        chain,
    })
}

impl Pki {
    fn p(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
    fn server_args(&self) -> Vec<String> {
        vec![
            "-cert".into(),
            self.chain.join("server.crt").display().to_string(),
            "-key".into(),
            self.chain.join("server.key").display().to_string(),
            "-cert_chain".into(),
            self.chain.join("intermediate.crt").display().to_string(),
            "-CAfile".into(),
            self.p("clientca.crt"),
        ]
    }
    /// `openssl s_server` with this server certificate, client.ca, and `extra`.
    fn s_server(&self, extra: &[&str]) -> Option<SServer> {
        let mut args = self.server_args();
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        SServer::start(&self.dir, &args)
    }
    /// Probe `srv` presenting the client certificate `who` (good, bad), and
    /// ask Python's `ssl` the same: (exit code, JSON, Python's verdict).
    fn present(&self, srv: &SServer, tls12: bool, who: &str) -> (i32, serde_json::Value, String) {
        let (cert, key) = (self.p(&format!("{who}.crt")), self.p(&format!("{who}.key")));
        let (code, v, _) = probe_json(&srv.addr(), &["--cert", &cert, "--key", &key]);
        let py = python_verdict(
            srv.port,
            Some("www.example.com"),
            tls12,
            Some((&cert, &key)),
        );
        (code, v, py)
    }
}

/// `probe --format json` of `addr` with `extra`: (exit code, JSON, stderr).
fn probe_json(addr: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let out = chainsmith()
        .args(["probe", addr, "--sni", "www.example.com", "--timeout", "10"])
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (
        out.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `probe addr [--sni sni] --format format`, as it ran.
fn probe_as(addr: &str, sni: Option<&str>, format: &str) -> std::process::Output {
    let mut cmd = chainsmith();
    cmd.args(["probe", addr]);
    if let Some(sni) = sni {
        cmd.args(["--sni", sni]);
    }
    cmd.args(["--format", format]).output().unwrap()
}

/// Python's `ssl` client: "ACCEPTED", or "REJECTED <reason>" where the
/// reason is OpenSSL's (`TLSV1_ALERT_UNKNOWN_CA`).
fn python_verdict(port: u16, sni: Option<&str>, tls12: bool, cert: Option<(&str, &str)>) -> String {
    let py = r#"
import socket, ssl, sys
port, sni, tls12, cert, key = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if tls12 == "1":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
if cert:
    ctx.load_cert_chain(cert, key)
s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
try:
    t = ctx.wrap_socket(s, server_hostname=sni or None)
    t.settimeout(2)
    try:
        t.recv(1)
    except (socket.timeout, TimeoutError):
        pass
    print("ACCEPTED")
except ssl.SSLError as e:
    print("REJECTED", e.reason)
"#;
    let (c, k) = cert.unwrap_or(("", ""));
    let (_, out) = run(StdCommand::new("python3").args([
        "-c",
        py,
        &port.to_string(),
        sni.unwrap_or(""),
        if tls12 { "1" } else { "0" },
        c,
        k,
    ]));
    out.trim().to_owned()
}

/// The CA names `openssl s_client` reports the server asked for (RFC 2253).
fn s_client_ca_names(port: u16) -> Vec<String> {
    let (_, out) = run(StdCommand::new("openssl")
        .args([
            "s_client",
            "-nameopt",
            "RFC2253",
            "-servername",
            "www.example.com",
        ])
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .stdin(std::process::Stdio::null()));
    let mut names = Vec::new();
    let mut inside = false;
    for line in out.lines() {
        if line.starts_with("Acceptable client certificate CA names") {
            inside = true;
            continue;
        }
        if inside {
            if line.contains('=') && !line.starts_with("Requested") && !line.starts_with("Client") {
                names.push(line.trim().to_owned());
            } else {
                break;
            }
        }
    }
    assert!(!names.is_empty(), "s_client saw no CA names: {out}");
    names
}

fn listed(v: &serde_json::Value) -> Vec<String> {
    v["targets"][0]["client_auth"]["acceptable_cas"]
        .as_array()
        .unwrap_or_else(|| panic!("no client_auth: {v}"))
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

/// The probe's alert name, checked against Python's reason for the same client.
fn assert_same_alert(v: &serde_json::Value, python: &str) -> String {
    let name = v["targets"][0]["alert"]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("probe saw no alert, python: {python}; {v}"))
        .to_owned();
    assert!(
        python.starts_with("REJECTED") && python.ends_with(&name.to_uppercase()),
        "probe says {name}, python says {python}"
    );
    let causes = v["targets"][0]["alert"]["causes"].as_array().unwrap();
    assert!(
        !causes.is_empty()
            && causes
                .iter()
                .all(|c| !c["fix"].as_str().unwrap().is_empty()),
        "{v}"
    );
    name
}

fn assert_accepted(code: i32, v: &serde_json::Value, python: &str) {
    assert_eq!(python, "ACCEPTED", "python was refused: {v}");
    assert!(v["targets"][0]["alert"].is_null(), "{v}");
    assert!(v["targets"][0]["error"].is_null(), "{v}");
    assert_eq!(code, 0, "{v}");
}

fn check_required(tls12: bool) {
    let Some(k) = pki() else { return };
    let mut extra = vec!["-Verify", "1", "-verify_return_error"];
    if tls12 {
        extra.push("-tls1_2");
    }
    let Some(srv) = k.s_server(&extra) else {
        return;
    };
    let names = s_client_ca_names(srv.port);
    assert_eq!(names, ["CN=Probe Client CA"]);

    // None: certificate_required (TLS 1.3) or handshake_failure (TLS 1.2).
    let (code, v, stderr) = probe_json(&srv.addr(), &[]);
    let py = python_verdict(srv.port, Some("www.example.com"), tls12, None);
    let alert = assert_same_alert(&v, &py);
    assert_eq!(
        alert,
        if tls12 {
            "handshake_failure"
        } else {
            "certificate_required"
        }
    );
    assert_eq!(listed(&v), names, "{v}");
    assert_eq!(v["targets"][0]["client_auth"]["sent"], false);
    assert_eq!(code, 2, "{v}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&alert), "{stderr}");

    // From the right CA: accepted.
    let (code, v, py) = k.present(&srv, tls12, "good");
    assert_accepted(code, &v, &py);
    assert_eq!(v["targets"][0]["client_auth"]["sent"], true, "{v}");
    assert_eq!(v["targets"][0]["client_auth"]["issuer_listed"], true, "{v}");
    assert_eq!(
        v["targets"][0]["client_auth"]["certificate"],
        "CN=good-client"
    );

    // From a stranger CA: unknown_ca.
    let (code, v, py) = k.present(&srv, tls12, "bad");
    assert_eq!(assert_same_alert(&v, &py), "unknown_ca");
    assert_eq!(
        v["targets"][0]["client_auth"]["issuer_listed"], false,
        "{v}"
    );
    assert!(
        v["targets"][0]["alert"]["causes"][0]["cause"]
            .as_str()
            .unwrap()
            .contains("client.ca"),
        "{v}"
    );
    assert_eq!(code, 2);
}

#[test]
fn s_server_requiring_a_client_certificate_tls13() {
    check_required(false);
}

#[test]
fn s_server_requiring_a_client_certificate_tls12() {
    check_required(true);
}

#[test]
fn s_server_asking_for_an_optional_client_certificate() {
    let Some(k) = pki() else { return };
    let Some(srv) = k.s_server(&["-verify", "1", "-verify_return_error"]) else {
        return;
    };
    // None: the server asks, accepts the handshake without one, and probe says so.
    let (code, v, _) = probe_json(&srv.addr(), &[]);
    let py = python_verdict(srv.port, Some("www.example.com"), false, None);
    assert_accepted(code, &v, &py);
    assert_eq!(listed(&v), s_client_ca_names(srv.port));
    assert_eq!(v["targets"][0]["client_auth"]["sent"], false);
    // The human output says it too.
    let out = chainsmith()
        .args(["probe", &srv.addr(), "--sni", "www.example.com"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "the server asks for a client certificate; acceptable CA names: CN=Probe Client CA"
        ),
        "{text}"
    );
    // The right one: accepted; a stranger's: unknown_ca (the verify flag makes a bad one fatal).
    let (code, v, py) = k.present(&srv, false, "good");
    assert_accepted(code, &v, &py);
    let (_, v, py) = k.present(&srv, false, "bad");
    assert_eq!(assert_same_alert(&v, &py), "unknown_ca");
}

#[test]
fn a_pfx_client_identity_is_presented() {
    let Some(k) = pki() else { return };
    let Some(srv) = k.s_server(&["-Verify", "1", "-verify_return_error"]) else {
        return;
    };
    let (code, v, stderr) = probe_json(
        &srv.addr(),
        &[
            "--cert",
            &k.p("good.pfx"),
            "--password-file",
            &k.p("pfx.pass"),
        ],
    );
    let py = python_verdict(
        srv.port,
        Some("www.example.com"),
        false,
        Some((&k.p("good.crt"), &k.p("good.key"))),
    );
    assert_accepted(code, &v, &py);
    assert_eq!(v["targets"][0]["client_auth"]["sent"], true, "{v} {stderr}");
    // The password never appears in any output.
    assert!(!v.to_string().contains("s3cret") && !stderr.contains("s3cret"));
    // A wrong password is one line, exit 2.
    std::fs::write(k.dir.join("wrong.pass"), "nope\n").unwrap();
    let out = chainsmith()
        .args([
            "probe",
            &srv.addr(),
            "--cert",
            &k.p("good.pfx"),
            "--password-file",
            &k.p("wrong.pass"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

fn nginx_mtls(k: &Pki, mode: &str) -> Option<Nginx> {
    Nginx::start_with(
        &k.chain.join("server-fullchain.crt"),
        &k.chain.join("server.key"),
        &format!("ssl_verify_client {mode};\n    ssl_client_certificate {{dir}}/clientca.pem;"),
        &[("clientca.pem", &k.dir.join("clientca.crt"))],
    )
}

/// curl to the nginx with a client certificate (or none): the HTTP status.
fn curl_status(port: u16, cert: Option<(&str, &str)>) -> String {
    let mut cmd = StdCommand::new("curl");
    cmd.args([
        "-sk",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "10",
    ]);
    if let Some((c, k)) = cert {
        cmd.args(["--cert", c, "--key", k]);
    }
    cmd.arg("--resolve")
        .arg(format!("www.example.com:{port}:127.0.0.1"))
        .arg(format!("https://www.example.com:{port}/"));
    let (_, out) = run(&mut cmd);
    out.trim().to_owned()
}

#[test]
fn nginx_ssl_verify_client_on_and_optional() {
    if !have("curl") {
        return;
    }
    let Some(k) = pki() else { return };
    for mode in ["on", "optional"] {
        let Some(ng) = nginx_mtls(&k, mode) else {
            return;
        };
        let names = s_client_ca_names(ng.port);
        // nginx finishes the handshake either way and answers over HTTP:
        // 400 for a missing (with `on`) or untrusted certificate.
        let (code, v, _) = probe_json(&ng.addr(), &[]);
        assert_eq!(code, 0, "{mode}: {v}");
        assert_eq!(listed(&v), names, "{mode}");
        assert_eq!(v["targets"][0]["client_auth"]["sent"], false);
        let status = curl_status(ng.port, None);
        assert_eq!(status, if mode == "on" { "400" } else { "200" }, "{mode}");

        let good = (k.p("good.crt"), k.p("good.key"));
        let (code, v, _) = probe_json(&ng.addr(), &["--cert", &good.0, "--key", &good.1]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["targets"][0]["client_auth"]["issuer_listed"], true, "{v}");
        assert_eq!(curl_status(ng.port, Some((&good.0, &good.1))), "200");

        let bad = (k.p("bad.crt"), k.p("bad.key"));
        let (_, v, _) = probe_json(&ng.addr(), &["--cert", &bad.0, "--key", &bad.1]);
        assert_eq!(
            v["targets"][0]["client_auth"]["issuer_listed"], false,
            "{v}"
        );
        assert_eq!(curl_status(ng.port, Some((&bad.0, &bad.1))), "400");
    }
}

/// nginx choosing its certificate by SNI at handshake time
/// (`ssl_certificate $ssl_server_name`), as APISIX does: a name with no
/// certificate, or no SNI at all, gets "tlsv1 alert internal error".
fn nginx_per_sni(k: &Pki) -> Option<Nginx> {
    Nginx::start_with(
        &k.chain.join("server-fullchain.crt"),
        &k.chain.join("server.key"),
        "ssl_certificate {dir}/certs/$ssl_server_name.crt;\n    ssl_certificate_key {dir}/certs/$ssl_server_name.key;",
        &[
            (
                "certs/www.example.com.crt",
                &k.chain.join("server-fullchain.crt"),
            ),
            ("certs/www.example.com.key", &k.chain.join("server.key")),
        ],
    )
}

#[test]
fn internal_error_from_a_gateway_without_a_certificate_for_the_sni() {
    let Some(k) = pki() else { return };
    let Some(ng) = nginx_per_sni(&k) else { return };
    // The configured name works.
    let (code, v, _) = probe_json(&ng.addr(), &[]);
    assert_eq!(code, 0, "{v}");
    let py = python_verdict(ng.port, Some("www.example.com"), false, None);
    assert_eq!(py, "ACCEPTED");

    // Another name: internal_error, the cause and the fix name the SNI.
    let out = probe_as(&ng.addr(), Some("api.example.com"), "json");
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let py = python_verdict(ng.port, Some("api.example.com"), false, None);
    assert_eq!(assert_same_alert(&v, &py), "internal_error");
    let first = &v["targets"][0]["alert"]["causes"][0];
    assert!(
        first["fix"].as_str().unwrap().contains("`api.example.com`"),
        "{v}"
    );
    assert_eq!(v["targets"][0]["alert"]["stage"], "before-certificate");
    assert!(ng.error_log().contains("cannot load certificate"));

    // No SNI (an IP address): fallback_sni comes first.
    let out = probe_as(&ng.addr(), None, "json");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let py = python_verdict(ng.port, None, false, None);
    assert_eq!(assert_same_alert(&v, &py), "internal_error");
    assert!(v["targets"][0]["sni"].is_null());
    assert!(
        v["targets"][0]["alert"]["causes"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("fallback_sni"),
        "{v}"
    );

    // Every format names the alert.
    for (format, needle) in [
        (
            "human",
            "alert: the server sent the TLS alert internal_error",
        ),
        ("github", "::error title="),
        ("sarif", "\"internal_error\""),
    ] {
        let out = probe_as(&ng.addr(), Some("api.example.com"), format);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(needle), "{format}: {text}");
        assert!(text.contains("internal_error"), "{format}: {text}");
        assert_eq!(out.status.code(), Some(2), "{format}");
    }
}
