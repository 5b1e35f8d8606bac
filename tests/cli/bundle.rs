//! `bundle`, checked against real TLS clients (curl, openssl s_client,
//! Python's ssl) and against files openssl made.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use crate::support::*;

fn bundle(args: &[&str], inputs: &[PathBuf]) -> assert_cmd::assert::Assert {
    chainsmith().arg("bundle").args(args).args(inputs).assert()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn assert_one_line_error(a: &assert_cmd::assert::Assert, needles: &[&str]) {
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert_eq!(
        err.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "{err}"
    );
    for n in needles {
        assert!(errors[0].contains(n), "`{n}` not in: {err}");
    }
}

#[test]
fn ca_bundle_is_intermediate_then_root_whatever_the_input() {
    // Junk text, CRLF, DER, PKCS#7, duplicates and a leaf, in many orders.
    let inputs = [
        fixture("crlf-text.pem"),
        fixture("root.der"),
        fixture("duplicate.pem"),
        fixture("server-fullchain.p7b"),
        fixture("chain-with-root.pem"),
    ];
    let first = bundle(&[], &inputs).success();
    let want = read(&fixture("ca-bundle.pem"));
    assert_eq!(stdout(&first), want, "not the openssl-made ca-bundle.pem");
    assert!(!stdout(&first).contains('\r'));
    let err = String::from_utf8_lossy(&first.get_output().stderr).into_owned();
    assert!(
        err.contains("left out end-entity certificate www.example.com"),
        "{err}"
    );
    // Every rotation and the reverse give the same bytes.
    for k in 0..inputs.len() {
        let mut perm = inputs.to_vec();
        perm.rotate_left(k);
        assert_eq!(stdout(&bundle(&[], &perm).success()), want, "rotation {k}");
        perm.reverse();
        assert_eq!(
            stdout(&bundle(&[], &perm).success()),
            want,
            "reversed rotation {k}"
        );
    }
}

#[test]
fn server_chain_is_leaf_first_and_root_only_on_request() {
    let inputs = [fixture("root.crt"), fixture("reversed-chain.pem")];
    let a = bundle(&["--for", "server"], &inputs).success();
    assert_eq!(stdout(&a), read(&fixture("server-fullchain.pem")));
    let a = bundle(&["--for", "server", "--with-root"], &inputs).success();
    assert_eq!(stdout(&a), read(&fixture("chain-with-root.pem")));
    // Leaf + intermediate is a complete served chain: the clients hold the root.
    let a = bundle(&["--for", "server"], &[fixture("reversed-chain.pem")]).success();
    assert_eq!(stdout(&a), read(&fixture("server-fullchain.pem")));
}

#[test]
fn aks_bundle_separates_certificates_with_a_blank_line() {
    let a = bundle(
        &["--for", "aks"],
        &[fixture("root.crt"), fixture("intermediate.der")],
    )
    .success();
    let want = format!(
        "{}\n{}",
        read(&fixture("intermediate.crt")),
        read(&fixture("root.crt"))
    );
    assert_eq!(stdout(&a), want);
    assert!(stdout(&a).contains("-----END CERTIFICATE-----\n\n-----BEGIN CERTIFICATE-----"));
    // A store of 348 roots, vendored so the check does not depend on the
    // machine. --allow-incomplete: three MD2-signed roots cannot be checked,
    // which is a warning each, not the error this is about.
    let a = bundle(
        &["--for", "aks", "--allow-incomplete"],
        &[corpus("cfssl/bundler/ca-bundle.pem")],
    )
    .code(2);
    assert!(a.get_output().stdout.is_empty());
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(
        errors,
        ["error: AKS takes at most 10 CA certificates; this bundle has 348"],
        "{err}"
    );
}

#[test]
fn a_leaf_alone_is_not_a_ca_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ca.pem");
    let a = chainsmith()
        .args(["bundle", "-o"])
        .arg(&out)
        .arg(fixture("leaf-only-ca-bundle.pem"))
        .assert()
        .code(2);
    assert_one_line_error(
        &a,
        &[
            "leaf-only-ca-bundle.pem",
            "server certificate",
            "pass its issuing CA files",
            "--for server",
        ],
    );
    assert!(!out.exists());
}

#[test]
fn missing_links_are_errors_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ca.pem");
    let a = chainsmith()
        .args(["bundle", "-o"])
        .arg(&out)
        .arg(fixture("intermediate.crt"))
        .assert()
        .code(2);
    assert_one_line_error(
        &a,
        &[
            "intermediate.crt",
            "missing",
            "Fixture Root CA",
            "--allow-incomplete",
        ],
    );
    assert!(!out.exists());
    // leaf + root: the leaf's issuer is missing, even though the leaf is left out.
    let a = bundle(&[], &[fixture("missing-intermediate.pem")]).code(2);
    assert_one_line_error(&a, &["missing-intermediate.pem", "Fixture Intermediate CA"]);
    let a = bundle(&["--allow-incomplete"], &[fixture("intermediate.crt")]).success();
    assert_eq!(stdout(&a), read(&fixture("intermediate.crt")));
    // A leaf alone cannot be served: its issuer is missing.
    let a = bundle(&["--for", "server"], &[fixture("server.crt")]).code(2);
    assert_one_line_error(&a, &["server.crt", "Fixture Intermediate CA"]);
}

#[test]
fn a_forged_issuer_does_not_link() {
    let a = bundle(&["--for", "server"], &[fixture("forged-issuer.pem")]).code(2);
    assert_one_line_error(&a, &["forged-issuer.pem", "signature does not verify"]);
}

#[test]
fn empty_input_and_clobbering_fail_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ca.pem");
    let a = chainsmith()
        .args(["bundle", "-o"])
        .arg(&out)
        .arg(fixture("ca-bundle.pem"))
        .arg(fixture("empty.pem"))
        .assert()
        .code(2);
    assert_one_line_error(&a, &["empty.pem", "empty"]);
    assert!(!out.exists());
    std::fs::write(&out, "old").unwrap();
    chainsmith()
        .args(["bundle", "-o"])
        .arg(&out)
        .arg(fixture("ca-bundle.pem"))
        .refused("--force");
    assert_eq!(read(&out), "old");
    chainsmith()
        .args(["bundle", "--force", "-o"])
        .arg(&out)
        .arg(fixture("ca-bundle.pem"))
        .assert()
        .success();
    assert_eq!(read(&out), read(&fixture("ca-bundle.pem")));
}

#[test]
fn system_roots_are_appended_after_the_private_cas() {
    let store = Path::new("/etc/ssl/certs/ca-certificates.crt");
    let dir = tempfile::tempdir().unwrap();
    // An explicit store path: two foreign roots stand in for the system store.
    let fake = dir.path().join("store.pem");
    std::fs::write(
        &fake,
        format!(
            "{}\n{}",
            read(&corpus("smallstep/x509util-capath2-root1.crt")),
            read(&corpus("smallstep/x509util-capath2-root2.crt"))
        ),
    )
    .unwrap();
    let a = bundle(
        &[&format!("--system-roots={}", fake.display())],
        &[fixture("ca-bundle.pem")],
    )
    .success();
    let text = stdout(&a);
    assert!(text.starts_with(&read(&fixture("ca-bundle.pem"))), "{text}");
    assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 4);
    // The store completes a chain: the intermediate's root is only in the store.
    let with_root = dir.path().join("store-with-root.pem");
    std::fs::write(
        &with_root,
        format!("{}\n{}", read(&fake), read(&fixture("root.crt"))),
    )
    .unwrap();
    bundle(&[], &[fixture("intermediate.crt")]).code(2);
    let a = bundle(
        &[&format!("--system-roots={}", with_root.display())],
        &[fixture("intermediate.crt")],
    )
    .success();
    let text = stdout(&a);
    assert!(
        text.starts_with(&read(&fixture("intermediate.crt"))),
        "{text}"
    );
    assert!(text.ends_with(&read(&fixture("root.crt"))), "{text}");
    assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 4);
    // Links through the store are followed in turn: Sub CA → intermediate
    // (store) → root (store).
    let pathlen = read(&fixture("pathlen-violation.pem"));
    let blocks: Vec<&str> = pathlen
        .split_inclusive("-----END CERTIFICATE-----\n")
        .collect();
    let sub_ca = dir.path().join("sub-ca.pem");
    std::fs::write(&sub_ca, blocks[1].trim_start()).unwrap();
    let two_level = dir.path().join("store-two-level.pem");
    std::fs::write(&two_level, read(&fixture("ca-bundle.pem"))).unwrap();
    let a = bundle(
        &[&format!("--system-roots={}", two_level.display())],
        std::slice::from_ref(&sub_ca),
    )
    .success();
    assert_eq!(
        stdout(&a),
        format!(
            "{}{}",
            blocks[1].trim_start(),
            read(&fixture("ca-bundle.pem"))
        )
    );
    if store.exists() {
        let system = read(store).matches("BEGIN CERTIFICATE").count();
        // A bare --system-roots never swallows the next input as its PATH.
        let a = bundle(
            &["--system-roots"],
            &[fixture("root.crt"), fixture("intermediate.crt")],
        )
        .success();
        assert!(stdout(&a).starts_with(&read(&fixture("ca-bundle.pem"))));
        assert_eq!(stdout(&a).matches("BEGIN CERTIFICATE").count(), system + 2);
    } else {
        cannot_run(&format!(
            "no system trust store at {} (the default of a bare --system-roots)",
            store.display()
        ));
    }
}

/// `openssl s_server` serving the fixture chain on 127.0.0.1, killed on drop.
struct TlsServer {
    _child: KillOnDrop,
    port: u16,
}

fn start_server(dir: &Path) -> TlsServer {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = StdCommand::new("openssl")
        .current_dir(dir)
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(fixture("server.crt"))
        .arg("-cert_chain")
        .arg(fixture("intermediate.crt"))
        .arg("-key")
        .arg(fixture("server.key"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    TlsServer {
        _child: KillOnDrop::listening(child, port, "openssl s_server"),
        port,
    }
}

fn curl_trusts(port: u16, cafile: &Path) -> (bool, String) {
    run(StdCommand::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10", "--cacert"])
        .arg(cafile)
        .arg("--resolve")
        .arg(format!("www.example.com:{port}:127.0.0.1"))
        .arg(format!("https://www.example.com:{port}/")))
}

fn s_client_trusts(port: u16, cafile: &Path) -> (bool, String) {
    run(StdCommand::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl s_client -verify_return_error -servername www.example.com -verify_hostname www.example.com -connect 127.0.0.1:{port} </dev/null"
        ))
        .env("SSL_CERT_FILE", cafile)
        .env_remove("SSL_CERT_DIR"))
}

fn python_trusts(port: u16, cafile: &Path) -> (bool, String) {
    let script = "import socket, ssl, sys\nctx = ssl.create_default_context()\nwith socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10) as s:\n    with ctx.wrap_socket(s, server_hostname='www.example.com') as t:\n        print('OK', t.version())\n";
    run(StdCommand::new("python3")
        .args(["-c", script])
        .arg(port.to_string())
        .env("SSL_CERT_FILE", cafile)
        .env_remove("SSL_CERT_DIR"))
}

#[test]
fn real_clients_trust_the_ca_bundle_and_not_a_leaf() {
    if !(have("openssl") && have("curl") && have("python3")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca-bundle.pem");
    chainsmith()
        .args(["bundle", "--for", "ca", "-o"])
        .arg(&ca)
        .arg(fixture("server-fullchain.p7b"))
        .arg(fixture("root.der"))
        .assert()
        .success();
    // What a user uploads by mistake: the leaf. chainsmith refuses it...
    let leaf_bundle = dir.path().join("leaf-bundle.pem");
    chainsmith()
        .args(["bundle", "-o"])
        .arg(&leaf_bundle)
        .arg(fixture("server.crt"))
        .assert()
        .code(2);
    assert!(!leaf_bundle.exists());
    // ... and the clients that read SSL_CERT_FILE do not trust it either.
    let leaf = fixture("leaf-only-ca-bundle.pem");
    let foreign = fixture("foreign-root.crt");

    let server = start_server(dir.path());
    let port = server.port;

    let (ok, out) = curl_trusts(port, &ca);
    assert!(ok, "curl does not trust the bundle: {out}");
    // curl accepts partial chains, so a foreign root is the negative case here.
    // Refused for the reason at hand (exit 60: the peer certificate cannot
    // be authenticated), not for a connection or usage error.
    let out = StdCommand::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10", "--cacert"])
        .arg(&foreign)
        .arg("--resolve")
        .arg(format!("www.example.com:{port}:127.0.0.1"))
        .arg(format!("https://www.example.com:{port}/"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(60),
        "curl with a foreign root: {err}"
    );
    assert!(err.contains("SSL certificate problem"), "{err}");

    let (ok, out) = s_client_trusts(port, &ca);
    assert!(
        ok && out.contains("Verify return code: 0 (ok)"),
        "s_client: {out}"
    );
    let (ok, out) = s_client_trusts(port, &leaf);
    assert!(!ok, "s_client trusted the leaf alone: {out}");
    assert!(
        out.contains("Verify return code: 20 (unable to get local issuer certificate)"),
        "s_client failed for another reason: {out}"
    );

    let (ok, out) = python_trusts(port, &ca);
    assert!(ok && out.contains("OK"), "python ssl: {out}");
    let (ok, out) = python_trusts(port, &leaf);
    assert!(!ok, "python ssl trusted the leaf alone: {out}");
    assert!(
        out.contains("CERTIFICATE_VERIFY_FAILED"),
        "python ssl failed for another reason: {out}"
    );
    drop(server);
}

#[test]
fn leaves_in_the_pile_do_not_reorder_the_ca_bundle() {
    // Three intermediates under one root. "Fixture Bad KU CA" sorts first by
    // subject; the leaf www.example.com hangs under "Fixture Intermediate CA".
    let dir = tempfile::tempdir().unwrap();
    let text = read(&fixture("ca-no-keycertsign.pem"));
    let blocks: Vec<&str> = text
        .split_inclusive("-----END CERTIFICATE-----\n")
        .collect();
    let bad_ku = dir.path().join("bad-ku-ca.pem");
    std::fs::write(&bad_ku, blocks[1]).unwrap();
    let cas = vec![
        fixture("ca-bundle.pem"),
        fixture("bc-not-critical.pem"),
        bad_ku,
    ];
    let base = stdout(&bundle(&[], &cas).success());
    assert_eq!(base.matches("BEGIN CERTIFICATE").count(), 4);
    assert!(
        base.starts_with(blocks[1].trim_start()),
        "Bad KU CA is not first:\n{base}"
    );
    assert!(
        base.ends_with(&read(&fixture("root.crt"))),
        "the root is not last:\n{base}"
    );
    let mut more = cas.clone();
    more.push(fixture("server.crt"));
    assert_eq!(stdout(&bundle(&[], &more).success()), base);
    more.reverse();
    assert_eq!(stdout(&bundle(&[], &more).success()), base);
}
