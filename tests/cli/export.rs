//! `export`, checked with openssl (DER, PKCS#12, verify, keys) and with
//! Python's json and yaml parsers, never with chainsmith's own code.
use std::path::Path;
use std::process::Command as StdCommand;

use predicates::prelude::*;

use crate::support::*;

fn tools() -> bool {
    have("openssl") && have("python3")
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn sha256_of(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["x509"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-noout", "-fingerprint", "-sha256"]);
    let out = openssl_ok(dir, &all);
    out.trim().to_owned()
}

#[test]
fn apim_writes_der_files_bodies_and_a_script() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let chain = generate_chain(t, &[]);
    std::fs::write(t.join("pfx.pass"), "Pfx-p4ss word\n").unwrap();
    let out = t.join("apim");
    chainsmith()
        .args(["export", "apim", "--from"])
        .arg(&chain)
        .args(["--password-file"])
        .arg(t.join("pfx.pass"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("root.cer               Root").and(
            predicate::str::contains("intermediate.cer       CertificateAuthority"),
        ));
    assert_eq!(
        files_in(&out),
        [
            "README.txt",
            "apim-upload.sh",
            "certificate-intermediate.json",
            "certificate-root.json",
            "gateway-ca-intermediate.json",
            "gateway-ca-root.json",
            "intermediate.cer",
            "manifest.json",
            "root.cer",
        ]
    );
    // DER files are the generated CA certificates.
    for (cer, crt) in [
        ("root.cer", "root.crt"),
        ("intermediate.cer", "intermediate.crt"),
    ] {
        assert_eq!(
            sha256_of(&out, &["-inform", "DER", "-in", cer]),
            sha256_of(&chain, &["-in", crt]),
            "{cer}"
        );
    }
    // Stores and trust flags, read by Python.
    let got = py(
        &out,
        "import json\n\
         m = json.load(open('manifest.json'))\n\
         assert m['version'] == 1 and m['management_endpoint'] == 'https://management.azure.com'\n\
         for c in m['certificates']:\n\
         \x20   body = json.load(open(c['gateway_ca_body']))\n\
         \x20   print(c['file'], c['store'], body['properties']['isTrusted'], c['certificate_id'])\n",
    );
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 2, "{got}");
    assert!(
        lines[0].starts_with("root.cer Root True chainsmith-root-"),
        "{got}"
    );
    assert!(
        lines[1]
            .starts_with("intermediate.cer CertificateAuthority False chainsmith-intermediate-"),
        "{got}"
    );
    // Certificates API bodies: 0600, a certificate-only PFX that OpenSSL 3
    // opens without -legacy, holding exactly that certificate.
    for (body, crt) in [
        ("certificate-root.json", "root.crt"),
        ("certificate-intermediate.json", "intermediate.crt"),
    ] {
        assert_eq!(mode(&out.join(body)), 0o600, "{body}");
        py(
            &out,
            &format!(
                "import json, base64\n\
                 p = json.load(open('{body}'))['properties']\n\
                 assert p['password'] == 'Pfx-p4ss word', p['password']\n\
                 open('{body}.pfx', 'wb').write(base64.b64decode(p['data'], validate=True))\n"
            ),
        );
        let pfx = format!("{body}.pfx");
        let info_with = |passin: &str| {
            openssl(
                &out,
                &["pkcs12", "-info", "-nokeys", "-in", &pfx, "-passin", passin],
            )
        };
        let (ok, info) = info_with("pass:Pfx-p4ss word");
        assert!(ok, "openssl cannot open {pfx}: {info}");
        assert!(!info.contains("PRIVATE KEY"), "{info}");
        assert_eq!(info.matches("BEGIN CERTIFICATE").count(), 1, "{info}");
        openssl_ok(
            &out,
            &[
                "pkcs12",
                "-in",
                &pfx,
                "-nokeys",
                "-passin",
                "pass:Pfx-p4ss word",
                "-out",
                "back.pem",
            ],
        );
        assert_eq!(
            sha256_of(&out, &["-in", "back.pem"]),
            sha256_of(&chain, &["-in", crt])
        );
        let (wrong, _) = info_with("pass:nope");
        assert!(!wrong, "a wrong password opened {pfx}");
        std::fs::remove_file(out.join(&pfx)).unwrap();
        std::fs::remove_file(out.join("back.pem")).unwrap();
    }
    // The password is in the Certificates API bodies and nowhere else.
    for f in files_in(&out) {
        let text = String::from_utf8_lossy(&std::fs::read(out.join(&f)).unwrap()).into_owned();
        assert_eq!(
            text.contains("Pfx-p4ss"),
            f.starts_with("certificate-"),
            "{f}"
        );
    }
    // The script is valid bash and makes the calls, run against a stand-in `az`.
    let calls = run_with_fake_az(
        t,
        "apim/apim-upload.sh",
        &["sub-1", "rg-1", "apim-1", "gw-1"],
    );
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 4, "{calls:?}");
    let base = "https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.ApiManagement/service/apim-1";
    assert!(calls[0].starts_with(&format!(
        "rest --method put --url {base}/certificates/chainsmith-root-"
    )));
    assert!(calls[0].contains("--body @certificate-root.json"));
    assert!(calls[2].contains(&format!(
        "{base}/gateways/gw-1/certificateAuthorities/chainsmith-root-"
    )));
    assert!(calls[3].contains("--body @gateway-ca-intermediate.json"));
    assert!(calls.iter().all(|c| c.contains("api-version=")));
    // Without arguments: usage, exit 2 (the stand-in `az` still first on PATH).
    let path = format!(
        "{}:{}",
        t.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let (ok, said) = run(StdCommand::new("bash")
        .env("PATH", &path)
        .arg(out.join("apim-upload.sh")));
    assert!(!ok && said.contains("usage"), "{said}");
}

/// `chainsmith export apim --password-env PFX`, with PFX=pw.
fn apim() -> assert_cmd::Command {
    let mut cmd = chainsmith();
    cmd.env("PFX", "pw")
        .args(["export", "apim", "--password-env", "PFX"]);
    cmd
}

#[test]
fn apim_china_cloud_uses_its_endpoint() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("apim");
    apim()
        .args(["--cloud", "china", "--ca-bundle"])
        .arg(fixture("ca-bundle.pem"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let script = std::fs::read_to_string(out.join("apim-upload.sh")).unwrap();
    assert!(script.contains("endpoint=\"https://management.chinacloudapi.cn\""));
    assert!(script.contains("AzureChinaCloud"));
    assert!(!script.contains("management.azure.com"));
    let ep = py(
        &out,
        "import json; print(json.load(open('manifest.json'))['management_endpoint'])",
    );
    assert_eq!(ep.trim(), "https://management.chinacloudapi.cn");
}

#[test]
fn apim_refuses_the_server_certificate_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("apim");
    for bad in ["leaf-only-ca-bundle.pem", "fullchain-as-ca-bundle.pem"] {
        let assert = apim()
            .arg("--ca-bundle")
            .arg(fixture(bad))
            .arg("-o")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "this is the server certificate; pass its issuing CAs",
            ));
        let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(err.contains(bad), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn apim_limit_of_ten_ca_certificates() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let t = tmp.path();
    let cas = openssl_self_signed_cas(t, 11);
    std::fs::write(t.join("ten.pem"), cas[..10].concat()).unwrap();
    std::fs::write(t.join("eleven.pem"), cas.concat()).unwrap();
    apim()
        .current_dir(t)
        .args(["--ca-bundle", "eleven.pem", "-o", "out11"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("11 CA certificates")
                .and(predicate::str::contains("at most 10")),
        );
    assert!(!t.join("out11").exists());
    apim()
        .current_dir(t)
        .args(["--ca-bundle", "ten.pem", "-o", "out10"])
        .assert()
        .success();
    assert!(t.join("out10/root-10.cer").exists());
}

#[test]
fn apim_needs_a_password_and_force_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    chainsmith()
        .current_dir(t)
        .args(["export", "apim", "--ca-bundle"])
        .arg(fixture("ca-bundle.pem"))
        .args(["-o", "apim"])
        .refused("--password-file");
    assert!(!t.join("apim").exists());
    let run_it = |force: bool| {
        let mut c = apim();
        c.current_dir(t)
            .arg("--ca-bundle")
            .arg(fixture("ca-bundle.pem"))
            .args(["-o", "apim"]);
        if force {
            c.arg("--force");
        }
        c.assert()
    };
    run_it(false).success();
    std::fs::write(t.join("apim/root.cer"), b"old").unwrap();
    run_it(false)
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(std::fs::read(t.join("apim/root.cer")).unwrap(), b"old");
    run_it(true).success();
    assert_ne!(std::fs::read(t.join("apim/root.cer")).unwrap(), b"old");
}

#[test]
fn bad_input_names_the_file_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    std::fs::write(t.join("junk.crt"), "not a certificate\n").unwrap();
    for args in [
        vec![
            "export",
            "apim",
            "--password-env",
            "PFX",
            "--ca-bundle",
            "junk.crt",
            "-o",
            "out",
        ],
        vec![
            "export",
            "k8s",
            "--ca-bundle",
            "junk.crt",
            "--deployment",
            "d",
            "--container",
            "c",
            "-o",
            "out",
        ],
        vec![
            "export", "apisix", "--cert", "junk.crt", "--key", "junk.crt", "-o", "out",
        ],
        vec![
            "export",
            "apim",
            "--password-env",
            "PFX",
            "--ca-bundle",
            "missing.crt",
            "-o",
            "out",
        ],
    ] {
        let a = chainsmith()
            .current_dir(t)
            .env("PFX", "pw")
            .args(&args)
            .assert()
            .code(2);
        let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("junk.crt") || err.contains("missing.crt"),
            "{err}"
        );
        assert!(!t.join("out").exists(), "{args:?}");
    }
}

#[test]
fn apisix_ssl_object_with_mtls_and_crd_yaml() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let chain = generate_chain(t, &["--san", "api.example.com"]);
    let out = t.join("apisix");
    chainsmith()
        .args(["export", "apisix", "--from"])
        .arg(&chain)
        .arg("--client-ca")
        .arg(fixture("ca-bundle.pem"))
        .args(["--namespace", "edge", "--name", "shop", "-o"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(mode(&out.join("apisix-ssl.json")), 0o600);
    assert_eq!(mode(&out.join("apisix-secret.yaml")), 0o600);
    let got = py(
        &out,
        "import json\n\
         d = json.load(open('apisix-ssl.json'))\n\
         print(sorted(d['snis']))\n\
         print(d['client']['depth'])\n\
         open('cert.pem', 'w').write(d['cert'])\n\
         open('key.pem', 'w').write(d['key'])\n\
         open('client-ca.pem', 'w').write(d['client']['ca'])\n\
         print(d['cert'].count('BEGIN CERTIFICATE'), d['client']['ca'].count('BEGIN CERTIFICATE'))\n",
    );
    assert_eq!(
        got, "['api.example.com', 'www.example.com']\n2\n2 2\n",
        "snis from the DNS SANs (not the IP), depth from the client CA chain"
    );
    // cert is leaf first then the intermediate; the key matches the leaf.
    openssl_ok(
        &out,
        &[
            "verify",
            "-CAfile",
            chain.join("root.crt").to_str().unwrap(),
            "-untrusted",
            "cert.pem",
            "cert.pem",
        ],
    );
    assert_eq!(
        sha256_of(&out, &["-in", "cert.pem"]),
        sha256_of(&chain, &["-in", "server.crt"])
    );
    let k = openssl_ok(&out, &["pkey", "-in", "key.pem", "-pubout"]);
    let c = openssl_ok(&chain, &["x509", "-in", "server.crt", "-noout", "-pubkey"]);
    assert_eq!(k, c);
    // The client CA lets openssl verify a certificate it issued.
    openssl_ok(
        &out,
        &[
            "verify",
            "-CAfile",
            "client-ca.pem",
            fixture("server.crt").to_str().unwrap(),
        ],
    );
    for f in ["cert.pem", "key.pem", "client-ca.pem"] {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    let got = py(
        &out,
        "import yaml, base64\n\
         tls = yaml.safe_load(open('apisix-tls.yaml'))\n\
         sec = yaml.safe_load(open('apisix-secret.yaml'))\n\
         ca = yaml.safe_load(open('apisix-client-ca-secret.yaml'))\n\
         assert tls['apiVersion'] == 'apisix.apache.org/v2' and tls['kind'] == 'ApisixTls'\n\
         assert tls['metadata'] == {'name': 'shop', 'namespace': 'edge'}\n\
         assert sorted(tls['spec']['hosts']) == ['api.example.com', 'www.example.com']\n\
         assert tls['spec']['secret'] == {'name': sec['metadata']['name'], 'namespace': 'edge'}\n\
         assert tls['spec']['client']['caSecret']['name'] == ca['metadata']['name']\n\
         assert tls['spec']['client']['depth'] == 2\n\
         assert sec['kind'] == 'Secret' and sec['metadata']['namespace'] == 'edge'\n\
         cert = base64.b64decode(sec['data']['cert']).decode()\n\
         key = base64.b64decode(sec['data']['key']).decode()\n\
         assert cert.count('BEGIN CERTIFICATE') == 2 and 'PRIVATE KEY' in key\n\
         assert base64.b64decode(ca['data']['cert']).decode().count('BEGIN CERTIFICATE') == 2\n\
         print('ok')\n",
    );
    assert_eq!(got, "ok\n");
}

#[test]
fn apisix_refuses_a_key_that_does_not_match() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("apisix");
    chainsmith()
        .args(["export", "apisix", "--cert"])
        .arg(fixture("server-fullchain.pem"))
        .arg("--key")
        .arg(fixture("intermediate.key"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("intermediate.key")
                .and(predicate::str::contains("does not match")),
        );
    assert!(!out.exists());
    // --sni overrides the SANs; --client-depth without --client-ca is a usage error.
    chainsmith()
        .args(["export", "apisix", "--sni", "gw.example.net", "--cert"])
        .arg(fixture("server.crt"))
        .arg("--chain")
        .arg(fixture("intermediate.crt"))
        .arg("--key")
        .arg(fixture("server.key"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let ssl = std::fs::read_to_string(out.join("apisix-ssl.json")).unwrap();
    assert!(ssl.contains("\"gw.example.net\"") && !ssl.contains("\"www.example.com\""));
    assert!(!out.join("apisix-client-ca-secret.yaml").exists());
    chainsmith()
        .args([
            "export",
            "apisix",
            "--client-depth",
            "2",
            "--from",
            "x",
            "-o",
            "y",
        ])
        .assert()
        .code(2);
}

#[test]
fn k8s_secret_patch_and_tls_secret_parse_and_verify() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let chain = generate_chain(t, &[]);
    let out = t.join("k8s");
    chainsmith()
        .args(["export", "k8s", "--from"])
        .arg(&chain)
        .args([
            "--deployment",
            "api",
            "--container",
            "app",
            "--namespace",
            "shop",
            "--name",
            "corp",
        ])
        .args(["--mount-path", "/etc/corp-ca/", "-o"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(mode(&out.join("tls-secret.yaml")), 0o600);
    for f in files_in(&out) {
        let text = std::fs::read_to_string(out.join(&f)).unwrap();
        assert!(!text.contains("subPath"), "{f} uses subPath");
    }
    let got = py(
        &out,
        "import yaml, base64, posixpath\n\
         sec = yaml.safe_load(open('ca-secret.yaml'))\n\
         patch = yaml.safe_load(open('deployment-patch.yaml'))\n\
         tls = yaml.safe_load(open('tls-secret.yaml'))\n\
         assert sec['kind'] == 'Secret' and sec['type'] == 'Opaque'\n\
         assert sec['metadata'] == {'name': 'corp-ca', 'namespace': 'shop'}\n\
         open('bundle.pem', 'wb').write(base64.b64decode(sec['data']['ca-bundle.crt'], validate=True))\n\
         assert patch['kind'] == 'Deployment' and patch['metadata']['name'] == 'api'\n\
         spec = patch['spec']['template']['spec']\n\
         (c,) = spec['containers']\n\
         assert c['name'] == 'app'\n\
         env = {e['name']: e['value'] for e in c['env']}\n\
         (m,) = c['volumeMounts']\n\
         (v,) = spec['volumes']\n\
         assert m['name'] == v['name'] and m['readOnly'] is True\n\
         assert v['secret']['secretName'] == sec['metadata']['name']\n\
         f = env['SSL_CERT_FILE']\n\
         assert posixpath.dirname(f) == m['mountPath'] == '/etc/corp-ca', (f, m)\n\
         assert posixpath.basename(f) in sec['data']\n\
         assert tls['type'] == 'kubernetes.io/tls' and tls['metadata']['name'] == 'corp-tls'\n\
         open('tls.crt', 'wb').write(base64.b64decode(tls['data']['tls.crt']))\n\
         open('tls.key', 'wb').write(base64.b64decode(tls['data']['tls.key']))\n\
         print('ok')\n",
    );
    assert_eq!(got, "ok\n");
    // The bundle in the Secret is the CA chain: it verifies the server; the
    // TLS Secret is leaf first and its key matches.
    openssl_ok(
        &out,
        &[
            "verify",
            "-CAfile",
            "bundle.pem",
            chain.join("server.crt").to_str().unwrap(),
        ],
    );
    let bundle = std::fs::read_to_string(out.join("bundle.pem")).unwrap();
    assert!(!bundle.contains('\r') && bundle.contains("-----END CERTIFICATE-----\n\n-----BEGIN"));
    assert_eq!(
        sha256_of(&out, &["-in", "tls.crt"]),
        sha256_of(&chain, &["-in", "server.crt"])
    );
    assert_eq!(
        std::fs::read_to_string(out.join("tls.crt"))
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count(),
        2
    );
    let k = openssl_ok(&out, &["pkey", "-in", "tls.key", "-pubout"]);
    let c = openssl_ok(&chain, &["x509", "-in", "server.crt", "-noout", "-pubkey"]);
    assert_eq!(k, c);
}

#[test]
fn k8s_needs_container_and_refuses_leaf_as_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    chainsmith()
        .current_dir(t)
        .args(["export", "k8s", "--ca-bundle"])
        .arg(fixture("ca-bundle.pem"))
        .args(["--deployment", "api", "-o", "out"])
        .refused("--container");
    chainsmith()
        .current_dir(t)
        .args(["export", "k8s", "--ca-bundle"])
        .arg(fixture("server.crt"))
        .args(["--deployment", "api", "--container", "api", "-o", "out"])
        .refused("this is the server certificate");
    chainsmith()
        .current_dir(t)
        .args(["export", "k8s", "--ca-bundle"])
        .arg(fixture("ca-bundle.pem"))
        .args([
            "--deployment",
            "Not_Valid",
            "--container",
            "api",
            "-o",
            "out",
        ])
        .refused("RFC 1123");
    assert!(!t.join("out").exists());
}
