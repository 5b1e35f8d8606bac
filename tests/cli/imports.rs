//! App Service and Key Vault imports: `convert --to pfx --for appservice`,
//! `--for keyvault` and `--to keyvault-pem` write exactly what the services
//! document, `lint --expect appservice-pfx|keyvault-pem` finds nothing in
//! them, and OpenSSL and Python `cryptography` agree on the contents. And a
//! certificate-only PFX from chainsmith is a Java truststore: a Java TLS
//! client trusts a server through it, and not through one without the root.
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use predicates::prelude::*;

use super::support::{
    Invocation, SServer, chainsmith, convert, generate_chain, keytool_list, openssl_ok, run,
    tempdir_with,
};

const PASSWORD: &str = "imports-Pa55";

fn password_file(dir: &Path) -> PathBuf {
    let p = dir.join("pfx.pass");
    std::fs::write(&p, format!("{PASSWORD}\n")).unwrap();
    p
}

/// `chainsmith convert --to TO ARGS CHAIN/server.crt --key CHAIN/server.key`, for
/// the caller to add `--chain`, a password source and `-o`.
fn convert_server(chain: &Path, to: &str, args: &[&str]) -> Invocation {
    convert(to)
        .args(args)
        .arg(chain.join("server.crt"))
        .key(chain.join("server.key"))
}

fn rsa_chain(dir: &Path) -> PathBuf {
    generate_chain(dir, &["--key-type", "rsa-2048"])
}

#[test]
fn appservice_pfx_is_triple_des_with_key_chain_and_root_and_lints_clean() {
    let Some(dir) = tempdir_with(&["openssl", "python3"]) else {
        return;
    };
    let chain = rsa_chain(dir.path());
    let pw = password_file(dir.path());
    let out = dir.path().join("app.pfx");
    convert_server(&chain, "pfx", &["--for", "appservice"])
        .flag("--chain", chain.join("ca-bundle.crt"))
        .flag("--password-file", &pw)
        .out(&out)
        .assert()
        .success();
    chainsmith()
        .args([
            "lint",
            "--expect",
            "appservice-pfx",
            "--format",
            "json",
            "--password-file",
        ])
        .arg(&pw)
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"findings\": []"));
    // OpenSSL: triple DES everywhere, an SHA-1 MAC, the key and three certificates.
    let info = openssl_ok(
        dir.path(),
        &[
            "pkcs12",
            "-info",
            "-nodes",
            "-passin",
            &format!("pass:{PASSWORD}"),
            "-in",
            out.to_str().unwrap(),
        ],
    );
    assert!(info.contains("MAC: sha1"), "{info}");
    assert_eq!(
        info.matches("pbeWithSHA1And3-KeyTripleDES-CBC").count(),
        2,
        "{info}"
    );
    assert!(!info.contains("AES"), "{info}");
    assert_eq!(info.matches("BEGIN CERTIFICATE").count(), 3);
    assert!(info.contains("BEGIN PRIVATE KEY"));
    // Python: the leaf with its key, then the intermediate and the root.
    let script = r#"
import sys
from cryptography.hazmat.primitives.serialization import pkcs12
p = pkcs12.load_pkcs12(open(sys.argv[1], "rb").read(), sys.argv[2].encode())
assert p.key is not None and p.cert is not None
names = sorted(c.certificate.subject.rfc4514_string() for c in p.additional_certs)
print(p.cert.certificate.subject.rfc4514_string(), p.key.key_size, names)
"#;
    let (ok, text) = run(StdCommand::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&out)
        .arg(PASSWORD));
    assert!(ok, "{text}");
    assert_eq!(
        text.trim(),
        "CN=www.example.com 2048 ['CN=chainsmith Intermediate CA', 'CN=chainsmith Root CA']"
    );
}

#[test]
fn appservice_refuses_what_app_service_would_refuse_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let chain = rsa_chain(dir.path());
    let pw = password_file(dir.path());
    let out = dir.path().join("app.pfx");
    let attempt = |extra: &[&str], chain_file: &str, needle: &str| {
        convert_server(&chain, "pfx", &["--for", "appservice"])
            .args(extra)
            .flag("--chain", chain.join(chain_file))
            .flag("--password-file", &pw)
            .out(&out)
            .refused(needle);
        assert!(!out.exists(), "{needle}: nothing may be written");
    };
    attempt(&[], "intermediate.crt", "the root");
    attempt(&["--profile", "modern"], "ca-bundle.crt", "triple-DES");
    // Without a key App Service has nothing to bind.
    convert("pfx")
        .args(["--for", "appservice"])
        .arg(chain.join("ca-bundle.crt"))
        .flag("--password-file", &pw)
        .out(&out)
        .refused("private key");
    convert_server(&chain, "pfx", &["--for", "appservice", "--no-password"])
        .flag("--chain", chain.join("ca-bundle.crt"))
        .out(&out)
        .refused("password-protected");
    assert!(!out.exists());
}

#[test]
fn keyvault_refuses_an_ed25519_key() {
    let dir = tempfile::tempdir().unwrap();
    let chain = generate_chain(dir.path(), &["--key-type", "ed25519"]);
    for (to, flags) in [
        ("pfx", &["--for", "keyvault", "--no-password"][..]),
        ("keyvault-pem", &[]),
    ] {
        let out = dir.path().join("kv.out");
        convert_server(&chain, to, flags)
            .out(&out)
            .refused("Ed25519");
        assert!(!out.exists());
    }
}

#[test]
fn keyvault_pem_is_certificates_leaf_first_then_a_pkcs8_key() {
    let Some(dir) = tempdir_with(&["openssl", "python3"]) else {
        return;
    };
    let chain = generate_chain(dir.path(), &[]);
    let out = dir.path().join("kv.pem");
    let write = |force: bool| {
        let cmd = convert_server(&chain, "keyvault-pem", &[])
            .flag("--chain", chain.join("ca-bundle.crt"))
            .out(&out);
        if force { cmd.arg("--force") } else { cmd }.assert()
    };
    write(false).success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the file holds a key");
    }
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains('\r') && !text.contains("Bag Attributes"));
    let labels: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("-----BEGIN"))
        .collect();
    assert_eq!(
        labels,
        ["-----BEGIN CERTIFICATE-----"; 3]
            .into_iter()
            .chain(["-----BEGIN PRIVATE KEY-----"])
            .collect::<Vec<_>>()
    );
    // OpenSSL: the key's public half is the first certificate's.
    let path = out.to_str().unwrap();
    let from_key = openssl_ok(dir.path(), &["pkey", "-in", path, "-pubout"]);
    let from_cert = openssl_ok(dir.path(), &["x509", "-in", path, "-pubkey", "-noout"]);
    assert_eq!(from_key, from_cert);
    // Python: an unencrypted PKCS#8 key; certificates leaf first, each
    // followed by its issuer, the last self-signed.
    let script = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
data = open(sys.argv[1], "rb").read()
key = serialization.load_pem_private_key(data, password=None)
certs = x509.load_pem_x509_certificates(data)
assert key.public_key() == certs[0].public_key()
for child, issuer in zip(certs, certs[1:]):
    child.verify_directly_issued_by(issuer)
assert certs[-1].subject == certs[-1].issuer
print(" / ".join(c.subject.rfc4514_string() for c in certs))
"#;
    let (ok, order) = run(StdCommand::new("python3").arg("-c").arg(script).arg(&out));
    assert!(ok, "{order}");
    assert_eq!(
        order.trim(),
        "CN=www.example.com / CN=chainsmith Intermediate CA / CN=chainsmith Root CA"
    );
    chainsmith()
        .args(["lint", "--expect", "keyvault-pem", "--format", "json"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"findings\": []"));
    // Never over an existing file without --force; with it, atomically replaced.
    std::fs::write(&out, "keep me").unwrap();
    write(false).code(2);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    write(true).success();
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("PRIVATE KEY")
    );
}

#[test]
fn lint_flags_a_modern_pfx_for_app_service() {
    let dir = tempfile::tempdir().unwrap();
    let chain = rsa_chain(dir.path());
    let pw = password_file(dir.path());
    let out = dir.path().join("aes.pfx");
    convert_server(&chain, "pfx", &["--profile", "modern"])
        .flag("--password-file", &pw)
        .out(&out)
        .assert()
        .success();
    let lint = chainsmith()
        .args(["lint", "--expect", "appservice-pfx", "--password-file"])
        .arg(&pw)
        .arg(&out)
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&lint.get_output().stdout).into_owned();
    assert!(text.contains("CS407") && text.contains("CS319"), "{text}");
}

// ------------------------------------------------------------ Java truststore

/// A JSSE client with the default SSLContext, which reads the truststore
/// from the javax.net.ssl.* system properties, as any Java program does.
const JAVA_CLIENT: &str = r#"
import javax.net.ssl.*;
public class TrustCheck {
    public static void main(String[] a) throws Exception {
        SSLSocketFactory f = (SSLSocketFactory) SSLSocketFactory.getDefault();
        try (SSLSocket s = (SSLSocket) f.createSocket("127.0.0.1", Integer.parseInt(a[0]))) {
            s.setSoTimeout(10000);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.startHandshake();
            System.out.println("trusted " + s.getSession().getPeerPrincipal().getName());
        }
    }
}
"#;

fn java_connects(dir: &Path, port: u16, truststore: &Path) -> (bool, String) {
    let src = dir.join("TrustCheck.java");
    std::fs::write(&src, JAVA_CLIENT).unwrap();
    run(StdCommand::new("java")
        .arg(format!(
            "-Djavax.net.ssl.trustStore={}",
            truststore.display()
        ))
        .arg("-Djavax.net.ssl.trustStoreType=PKCS12")
        .arg(format!("-Djavax.net.ssl.trustStorePassword={PASSWORD}"))
        .arg(&src)
        .arg(port.to_string()))
}

fn truststore(dir: &Path, chain: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    convert("pfx")
        .arg(chain.join("root.crt"))
        .flag("--password-file", password_file(dir))
        .out(&out)
        .assert()
        .success();
    out
}

#[test]
fn a_certificate_only_pfx_is_a_java_truststore() {
    let Some(dir) = tempdir_with(&["java", "javac", "keytool", "openssl"]) else {
        return;
    };
    let ours = generate_chain(&dir.path().join("ours"), &[]);
    let other = generate_chain(&dir.path().join("other"), &[]);
    let good = truststore(dir.path(), &ours, "trust.p12");
    let wrong = truststore(dir.path(), &other, "other.p12");
    let (ok, list) = keytool_list(&good, PASSWORD);
    assert!(ok && list.contains("trustedCertEntry"), "{list}");
    let Some(server) = SServer::start(
        &ours,
        &[
            "-quiet",
            "-cert",
            "server.crt",
            "-key",
            "server.key",
            "-cert_chain",
            "intermediate.crt",
        ],
    ) else {
        return;
    };
    let (ok, out) = java_connects(dir.path(), server.port, &good);
    assert!(ok && out.contains("trusted CN=www.example.com"), "{out}");
    let (ok, out) = java_connects(dir.path(), server.port, &wrong);
    assert!(
        !ok,
        "a truststore without our root must not trust the server: {out}"
    );
    assert!(out.contains("SSLHandshakeException: PKIX path"), "{out}");
}
