//! The targets of issue 18: `export apim --tier v2`, `export aks` and the
//! APISIX `certs`/`keys` arrays. Every value is checked with tools nobody
//! here wrote: Python's json, yaml, base64 and `cryptography`, and openssl.
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use predicates::prelude::*;

use crate::support::*;

/// openssl and Python with yaml and cryptography, or a loud skip.
fn tools() -> bool {
    if !have("openssl") || !have("python3") {
        cannot_run("openssl and python3 are needed to check the exported files");
        return false;
    }
    let ok = StdCommand::new("python3")
        .args(["-c", "import yaml, cryptography"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        cannot_run("python3 needs PyYAML and cryptography to check the exported files");
    }
    ok
}

/// With [`tools`], a temporary directory holding a `generate` chain.
fn tools_and_chain() -> Option<(tempfile::TempDir, PathBuf)> {
    if !tools() {
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    Some((tmp, chain))
}

/// `openssl x509 -fingerprint` of the first certificate in `file`, as bare
/// upper-case hex (the form Azure shows a thumbprint in).
fn fingerprint(dir: &Path, file: &Path, alg: &str) -> String {
    let f = file.to_str().unwrap();
    let out = openssl_ok(dir, &["x509", "-in", f, "-noout", "-fingerprint", alg]);
    let hex = out.trim().rsplit('=').next().unwrap().replace(':', "");
    assert!(hex.len() >= 40, "{out}");
    hex.to_uppercase()
}

#[test]
fn apim_v2_backend_names_the_server_and_its_issuing_ca() {
    let Some((tmp, chain)) = tools_and_chain() else {
        return;
    };
    let t = tmp.path();
    let out = t.join("apim");
    // No password: the v2 files hold no PFX.
    chainsmith()
        .args(["export", "apim", "--tier", "v2", "--from"])
        .arg(&chain)
        .args(["--backend-url", "https://www.example.com/orders", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("backend chainsmith-backend"));
    assert_eq!(
        files_in(&out),
        [
            "README.txt",
            "apim-backend.sh",
            "backend.json",
            "manifest.json"
        ]
    );
    // The body, read by Python; the name is the server certificate's CN
    // as Python's cryptography reads it.
    let got = py(
        &out,
        &format!(
            "import json\n\
             from cryptography import x509\n\
             from cryptography.x509.oid import NameOID\n\
             leaf = x509.load_pem_x509_certificate(open({leaf:?}, 'rb').read())\n\
             cn = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value\n\
             p = json.load(open('backend.json'))['properties']\n\
             assert p['url'] == 'https://www.example.com/orders', p['url']\n\
             assert p['protocol'] == 'http', p['protocol']\n\
             assert 'properties' not in p, p\n\
             tls = p['tls']\n\
             assert tls['validateCertificateChain'] is True and tls['validateCertificateName'] is True\n\
             for n in tls['serverX509Names']:\n\
             \x20   assert n['name'] == cn, (n['name'], cn)\n\
             \x20   print(n['issuerCertificateThumbprint'])\n\
             m = json.load(open('manifest.json'))\n\
             assert m['tier'] == 'v2' and m['api_version'] == '2025-03-01-preview', m\n\
             assert m['backend_id'] == 'chainsmith-backend', m\n",
            leaf = chain.join("server.crt").to_str().unwrap()
        ),
    );
    // One issuing CA: the intermediate, by the SHA-1 openssl computes.
    let thumbs: Vec<&str> = got.lines().collect();
    assert_eq!(
        thumbs,
        [fingerprint(t, &chain.join("intermediate.crt"), "-sha1").as_str()],
        "{got}"
    );
    assert_ne!(thumbs[0], fingerprint(t, &chain.join("root.crt"), "-sha1"));

    // The script is valid bash and PUTs the body, against a stand-in `az`.
    let calls = run_with_fake_az(t, "apim/apim-backend.sh", &["sub-1", "rg-1", "apim-1"]);
    assert_eq!(
        calls.trim(),
        "rest --method put --url https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.ApiManagement/service/apim-1/backends/chainsmith-backend?api-version=2025-03-01-preview --body @backend.json --output none"
    );
}

#[test]
fn apim_v2_from_ca_files_takes_the_name_from_the_url() {
    let Some((tmp, chain)) = tools_and_chain() else {
        return;
    };
    let t = tmp.path();
    let out = t.join("apim");
    chainsmith()
        .args(["export", "apim", "--tier", "v2", "--ca-bundle"])
        .arg(chain.join("ca-bundle.crt"))
        .args([
            "--backend-url",
            "https://api.internal.example.com:8443/v1",
            "--backend-id",
            "orders-api",
            "--cloud",
            "china",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let got = py(
        &out,
        "import json\n\
         p = json.load(open('backend.json'))['properties']\n\
         n = p['tls']['serverX509Names']\n\
         print(len(n), n[0]['name'])\n\
         m = json.load(open('manifest.json'))\n\
         print(m['backend_id'], m['management_endpoint'])\n",
    );
    assert_eq!(
        got,
        "1 api.internal.example.com\norders-api https://management.chinacloudapi.cn\n"
    );
    let script = std::fs::read_to_string(out.join("apim-backend.sh")).unwrap();
    assert!(script.contains("/backends/orders-api?$api"), "{script}");
    assert!(script.contains("AzureChinaCloud"), "{script}");
}

#[test]
fn apim_tier_flags_belong_to_their_tier() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    std::fs::write(t.join("pw"), "secret\n").unwrap();
    let bundle = fixture("ca-bundle.pem");
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--tier",
                "v2",
                "--backend-url",
                "https://a.example",
                "--password-file",
                "pw",
            ],
            "needs no password",
        ),
        (
            &[
                "--backend-url",
                "https://a.example",
                "--password-file",
                "pw",
            ],
            "add --tier v2",
        ),
        (
            &["--tier", "v2", "--backend-url", "http://a.example"],
            "must start with https://",
        ),
        (
            &[
                "--tier",
                "v2",
                "--backend-url",
                "https://a.example",
                "--backend-id",
                "bad id!",
            ],
            "--backend-id",
        ),
    ];
    for (args, says) in cases {
        chainsmith()
            .current_dir(t)
            .args(["export", "apim", "--ca-bundle"])
            .arg(&bundle)
            .args(args)
            .args(["-o", "out"])
            .refused(says);
        assert!(!t.join("out").exists(), "{args:?}");
    }
    // --tier v2 without the backend's URL is a usage error.
    chainsmith()
        .current_dir(t)
        .args(["export", "apim", "--tier", "v2", "--ca-bundle"])
        .arg(&bundle)
        .args(["-o", "out"])
        .refused("--backend-url");
}

#[test]
fn aks_secret_and_cli_file_hold_the_cas() {
    let Some((tmp, chain)) = tools_and_chain() else {
        return;
    };
    let t = tmp.path();
    let out = t.join("aks");
    chainsmith()
        .args(["export", "aks", "--from"])
        .arg(&chain)
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("not pod trust"));
    assert_eq!(
        files_in(&out),
        [
            "custom-ca-trust-certificates.pem",
            "custom-ca-trust-secret.yaml"
        ]
    );
    // The Secret, parsed by PyYAML; each value decoded by Python's base64
    // is, byte for byte, one PEM block of the input ca-bundle.crt.
    let got = py(
        &out,
        &format!(
            "import yaml, base64, re\n\
             docs = list(yaml.safe_load_all(open('custom-ca-trust-secret.yaml')))\n\
             assert len(docs) == 1\n\
             s = docs[0]\n\
             assert s['apiVersion'] == 'v1' and s['kind'] == 'Secret' and s['type'] == 'Opaque', s\n\
             assert s['metadata'] == {{'name': 'custom-ca-trust-secret', 'namespace': 'kube-system'}}, s['metadata']\n\
             src = open({bundle:?}).read()\n\
             blocks = re.findall(r'-----BEGIN CERTIFICATE-----\\n.*?-----END CERTIFICATE-----\\n', src, re.S)\n\
             keys = sorted(s['data'])\n\
             assert keys == ['ca%d.crt' % (i + 1) for i in range(len(blocks))], keys\n\
             for i, k in enumerate(keys):\n\
             \x20   pem = base64.b64decode(s['data'][k], validate=True)\n\
             \x20   assert b'\\r' not in pem\n\
             \x20   assert pem.decode() == blocks[i], k\n\
             \x20   open(k, 'wb').write(pem)\n\
             print(len(keys))\n",
            bundle = chain.join("ca-bundle.crt").to_str().unwrap()
        ),
    );
    assert_eq!(got.trim(), "2");
    // ca1 is the intermediate, ca2 the root, as openssl reads them.
    assert_eq!(
        fingerprint(&out, Path::new("ca1.crt"), "-sha256"),
        fingerprint(t, &chain.join("intermediate.crt"), "-sha256")
    );
    assert_eq!(
        fingerprint(&out, Path::new("ca2.crt"), "-sha256"),
        fingerprint(t, &chain.join("root.crt"), "-sha256")
    );
    // The az aks file: LF only, one blank line between the certificates,
    // and both certificates for openssl and for cryptography.
    let got = py(
        &out,
        "from cryptography import x509\n\
         b = open('custom-ca-trust-certificates.pem', 'rb').read()\n\
         assert b'\\r' not in b\n\
         assert b.count(b'-----END CERTIFICATE-----\\n\\n-----BEGIN CERTIFICATE-----') == 1, b\n\
         print(len(x509.load_pem_x509_certificates(b)))\n",
    );
    assert_eq!(got.trim(), "2");
    let (ok, said) = openssl(
        &out,
        &[
            "storeutl",
            "-noout",
            "-certs",
            "custom-ca-trust-certificates.pem",
        ],
    );
    assert!(ok && said.contains("Total found: 2"), "{said}");
}

#[test]
fn aks_refuses_a_server_certificate_and_more_than_ten() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    chainsmith()
        .current_dir(t)
        .args(["export", "aks", "--ca-bundle"])
        .arg(fixture("leaf-only-ca-bundle.pem"))
        .args(["-o", "out"])
        .refused("this is the server certificate");
    assert!(!t.join("out").exists());
    std::fs::write(
        t.join("eleven.pem"),
        openssl_self_signed_cas(t, 11).concat(),
    )
    .unwrap();
    chainsmith()
        .current_dir(t)
        .args(["export", "aks", "--ca-bundle", "eleven.pem", "-o", "out"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("11 CA certificates")
                .and(predicate::str::contains("at most 10")),
        );
    assert!(!t.join("out").exists());
}

/// An RSA server certificate for the same names from the generated
/// intermediate, in `dir/rsa`.
fn issue_rsa(t: &Path, chain: &Path, sans: &[&str]) -> std::path::PathBuf {
    let out = t.join("rsa");
    let mut cmd = chainsmith();
    cmd.args(["issue", "--ca"])
        .arg(chain.join("intermediate.crt"))
        .arg("--ca-key")
        .arg(chain.join("intermediate.key"))
        .arg("--ca-chain")
        .arg(chain.join("ca-bundle.crt"))
        .args(["--key-type", "rsa-2048", "--name", "rsa", "--force", "-o"])
        .arg(&out);
    for s in sans {
        cmd.args(["--san", s]);
    }
    cmd.assert().success();
    out
}

#[test]
fn apisix_extra_certificate_fills_certs_and_keys() {
    let Some((tmp, chain)) = tools_and_chain() else {
        return;
    };
    let t = tmp.path();
    let rsa = issue_rsa(t, &chain, &["www.example.com"]);
    let out = t.join("apisix");
    chainsmith()
        .args(["export", "apisix", "--from"])
        .arg(&chain)
        .args(["--sni", "www.example.com", "--extra-cert"])
        .arg(rsa.join("rsa-fullchain.crt"))
        .arg("--extra-key")
        .arg(rsa.join("rsa.key"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("RSA-2048"));
    // Split the SSL object with Python's json into files for openssl.
    let got = py(
        &out,
        "import json\n\
         s = json.load(open('apisix-ssl.json'))\n\
         assert s['snis'] == ['www.example.com'], s['snis']\n\
         assert len(s['certs']) == 1 and len(s['keys']) == 1\n\
         open('main.pem', 'w').write(s['cert'])\n\
         open('extra.pem', 'w').write(s['certs'][0])\n\
         open('extra.key', 'w').write(s['keys'][0])\n\
         print(s['cert'].count('BEGIN CERTIFICATE'), s['certs'][0].count('BEGIN CERTIFICATE'))\n",
    );
    assert_eq!(got.trim(), "2 2", "leaf and intermediate in each");
    assert_eq!(
        fingerprint(&out, Path::new("main.pem"), "-sha256"),
        fingerprint(t, &chain.join("server.crt"), "-sha256")
    );
    assert_eq!(
        fingerprint(&out, Path::new("extra.pem"), "-sha256"),
        fingerprint(t, &rsa.join("rsa.crt"), "-sha256")
    );
    // keys[0] is the private key of certs[0]: the same public key for openssl.
    let from_key = openssl_ok(&out, &["pkey", "-in", "extra.key", "-pubout"]);
    let from_cert = openssl_ok(&out, &["x509", "-in", "extra.pem", "-noout", "-pubkey"]);
    assert_eq!(from_key, from_cert);
    assert!(from_key.contains("BEGIN PUBLIC KEY"));
    let (ok, text) = openssl(&out, &["pkey", "-in", "extra.key", "-noout", "-text"]);
    assert!(ok && text.contains("2048 bit"), "{text}");
}

#[test]
fn apisix_extra_certificate_is_checked() {
    let Some((tmp, chain)) = tools_and_chain() else {
        return;
    };
    let t = tmp.path();
    let rsa = issue_rsa(t, &chain, &["other.example.com"]);
    let full = chain.join("server-fullchain.crt");
    let key = chain.join("server.key");
    let rsa_crt = rsa.join("rsa-fullchain.crt");
    let rsa_key = rsa.join("rsa.key");
    let cases: Vec<(Vec<&Path>, Vec<&Path>, &str)> = vec![
        // The same key type as the first certificate: never served.
        (vec![&full], vec![&key], "one certificate per key type"),
        // A key of another certificate.
        (vec![&rsa_crt], vec![&key], "does not match"),
        // Pairs only.
        (vec![&rsa_crt, &full], vec![&rsa_key], "go in pairs"),
        // Names the SNI does not cover.
        (
            vec![&rsa_crt],
            vec![&rsa_key],
            "does not cover the SNI www.example.com",
        ),
    ];
    for (certs, keys, says) in cases {
        let mut cmd = chainsmith();
        cmd.current_dir(t)
            .args(["export", "apisix", "--from"])
            .arg(&chain)
            .args(["--sni", "www.example.com"]);
        for c in &certs {
            cmd.arg("--extra-cert").arg(c);
        }
        for k in &keys {
            cmd.arg("--extra-key").arg(k);
        }
        cmd.args(["-o", "out"]).refused(says);
        assert!(!t.join("out").exists(), "{says}");
    }
}
