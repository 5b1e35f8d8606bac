//! `inspect`, cross-checked with openssl (hashes, serials, PEM) and parsed
//! with Python's json module.
use std::path::Path;

use predicates::prelude::*;

use crate::support::*;

/// `openssl x509 -noout ARGS` on a certificate file: the value after `=`,
/// as openssl prints it (hex with colons, for a fingerprint).
fn openssl_value(file: &Path, args: &[&str]) -> String {
    let dir = file.parent().unwrap();
    let mut all = vec!["x509", "-in", file.to_str().unwrap(), "-noout"];
    all.extend_from_slice(args);
    let (ok, out) = openssl(dir, &all);
    assert!(ok, "openssl {args:?}: {out}");
    out.trim().rsplit('=').next().unwrap().to_owned()
}

/// [`openssl_value`] without colons, upper case.
fn openssl_field(file: &Path, args: &[&str]) -> String {
    openssl_value(file, args).replace(':', "").to_uppercase()
}

/// Run a Python snippet with `doc` (JSON text) parsed as `d`; return its stdout.
fn py_json(doc: &str, body: &str) -> String {
    let script = format!("import json, sys\nd = json.load(sys.stdin)\n{body}\n");
    py_stdin(&script, doc.as_bytes())
}

fn stdout_of(args: &[&str]) -> String {
    let out = chainsmith().args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn tree_lists_leaf_then_issuers_with_openssl_hashes_and_serials() {
    if !have("openssl") {
        return;
    }
    let chain = fixture("chain-with-root.pem");
    let out = stdout_of(&["inspect", chain.to_str().unwrap()]);
    assert!(
        out.starts_with("chain 1 of 1: 3 certificates, complete"),
        "{out}"
    );
    let leaf = out.find("[leaf] www.example.com").expect("leaf header");
    let int = out
        .find("└─ [intermediate] Fixture Intermediate CA")
        .expect("intermediate header");
    let root = out.find("└─ [root] Fixture Root CA").expect("root header");
    assert!(leaf < int && int < root, "not leaf-first: {out}");
    for (name, start, end) in [
        ("server.crt", leaf, int),
        ("intermediate.crt", int, root),
        ("root.crt", root, out.len()),
    ] {
        let block = &out[start..end];
        let f = fixture(name);
        let sha1 = openssl_field(&f, &["-fingerprint", "-sha1"]);
        assert_eq!(sha1.len(), 40);
        assert!(
            block.contains(&format!("thumbprint   {sha1} (SHA-1)")),
            "{name}: no {sha1} in {block}"
        );
        let sha256 = openssl_field(&f, &["-fingerprint", "-sha256"]).to_lowercase();
        assert!(
            block.contains(&format!("SHA-256      {sha256}")),
            "{name}: {block}"
        );
        let serial = openssl_field(&f, &["-serial"]);
        assert!(
            block.contains(&format!("serial       {serial}\n")),
            "{name}: serial {serial} not in {block}"
        );
    }
    assert!(out.contains("self-signed (signature verified with its own key)"));
    assert!(out.contains("SANs         DNS:www.example.com, DNS:*.example.com, IP:127.0.0.1"));
    assert!(out.contains("CA           yes, pathLen 0"));
    assert!(out.contains("keyUsage     keyCertSign, cRLSign (critical)"));
    assert!(out.contains("EKU          serverAuth"));
    assert!(out.contains("key          EC P-256"));
}

#[test]
fn link_status_names_missing_and_bad_issuers() {
    let out = stdout_of(&[
        "inspect",
        fixture("missing-intermediate.pem").to_str().unwrap(),
    ]);
    assert!(
        out.contains("ISSUER MISSING") && out.contains("its issuer is not among the inputs"),
        "{out}"
    );
    let out = stdout_of(&["inspect", fixture("forged-issuer.pem").to_str().unwrap()]);
    assert!(out.contains("BAD SIGNATURE"), "{out}");
    assert!(out.contains("[leaf] forged.example.com"), "{out}");
    let out = stdout_of(&["inspect", fixture("reversed-chain.pem").to_str().unwrap()]);
    // Input order does not matter: the tree is leaf first.
    assert!(
        out.find("[leaf] www.example.com").unwrap()
            < out.find("[intermediate] Fixture Intermediate CA").unwrap()
    );
}

#[test]
fn days_left_follow_at() {
    let expired = fixture("expired.pem");
    for (at, says) in [
        // notAfter 2021-01-01 00:00:00 UTC: 214 days after 2020-06-01.
        ("2020-06-01T00:00:00Z", "(214 days left)"),
        ("2021-01-11T00:00:00Z", "EXPIRED 10 days ago"),
        ("2019-12-30T00:00:00Z", "NOT YET VALID: starts in 2 days"),
    ] {
        let out = stdout_of(&["inspect", "--at", at, expired.to_str().unwrap()]);
        assert!(out.contains(says), "{at}: {out}");
    }
    chainsmith()
        .args(["inspect", "--at", "yesterday"])
        .arg(&expired)
        .refused("RFC 3339");
}

#[test]
fn json_has_version_hashes_and_pem_that_openssl_reads() {
    if !have("openssl") || !have("python3") {
        return;
    }
    let doc = stdout_of(&[
        "inspect",
        "--format",
        "json",
        "--at",
        "2030-01-01T00:00:00Z",
        fixture("server-fullchain.pem").to_str().unwrap(),
    ]);
    let summary = py_json(
        &doc,
        "assert d['version'] == 2\n\
         assert d['at'] == '2030-01-01T00:00:00Z'\n\
         c = d['chains']\n\
         assert len(c) == 1 and c[0]['complete'] is False\n\
         certs = c[0]['certificates']\n\
         print(' '.join(x['role'] for x in certs))\n\
         print(certs[0]['issuer_link']['status'], certs[1]['issuer_link']['status'])\n\
         for x in certs: print(x['sha1_thumbprint'], x['sha256_fingerprint'], x['serial'])",
    );
    let mut lines = summary.lines();
    assert_eq!(lines.next(), Some("leaf intermediate"));
    assert_eq!(lines.next(), Some("verified issuer_missing"));
    for name in ["server.crt", "intermediate.crt"] {
        let f = fixture(name);
        let line = lines.next().unwrap();
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(
            parts[0],
            openssl_field(&f, &["-fingerprint"]),
            "{name} sha1"
        );
        let sha256 = openssl_field(&f, &["-fingerprint", "-sha256"]).to_lowercase();
        assert_eq!(parts[1], sha256, "{name} sha256");
        assert_eq!(parts[2], openssl_field(&f, &["-serial"]), "{name} serial");
    }
}

#[test]
fn json_pem_is_the_same_certificate() {
    let Some(tmp) = tempdir_with(&["openssl", "python3"]) else {
        return;
    };
    let doc = stdout_of(&[
        "inspect",
        "--format",
        "json",
        fixture("root.der").to_str().unwrap(),
    ]);
    let pem = py_json(
        &doc,
        "sys.stdout.write(d['chains'][0]['certificates'][0]['pem'])",
    );
    std::fs::write(tmp.path().join("back.pem"), pem).unwrap();
    let sha256 = ["-fingerprint", "-sha256"];
    assert_eq!(
        openssl_value(&tmp.path().join("back.pem"), &sha256),
        openssl_value(&fixture("root.crt"), &sha256)
    );
}

#[test]
fn thumbprint_finds_the_certificate_in_any_case_and_format() {
    if !have("openssl") {
        return;
    }
    let intermediate = fixture("intermediate.crt");
    // openssl prints "sha1 Fingerprint=AB:CD:..."; pass it lower-case with colons.
    let with_colons = openssl_value(&intermediate, &["-fingerprint", "-sha1"]).to_lowercase();
    let inputs = [
        fixture("server-fullchain.pem"),
        fixture("intermediate.der"),
        fixture("root.crt"),
    ];
    let out = chainsmith()
        .arg("inspect")
        .args(&inputs)
        .args(["--thumbprint", &with_colons])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.starts_with("[intermediate] Fixture Intermediate CA"),
        "{text}"
    );
    assert!(
        !text.contains("[leaf]") && !text.contains("[root]"),
        "{text}"
    );
    assert!(text.contains("server-fullchain.pem:15"), "{text}");
    assert!(text.contains("intermediate.der"), "{text}");
    assert!(text.contains("signature verified by its issuer, Fixture Root CA"));

    // SHA-256, upper case with spaces, finds it too.
    let spaced = openssl_value(&intermediate, &["-fingerprint", "-sha256"]).replace(':', " ");
    chainsmith()
        .arg("inspect")
        .args(&inputs)
        .args(["--thumbprint", &spaced])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("[intermediate]"));

    // Not there: exit 1, nothing on stdout.
    chainsmith()
        .arg("inspect")
        .arg(fixture("root.crt"))
        .args(["--thumbprint", &with_colons])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("no certificate with thumbprint"));
    // With --format json, a document with no certificates, still exit 1.
    let out = chainsmith()
        .arg("inspect")
        .arg(fixture("root.crt"))
        .args(["--format", "json", "--thumbprint", &with_colons])
        .assert()
        .code(1);
    let doc = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    if have("python3") {
        assert_eq!(
            py_json(
                &doc,
                "print(d['version'], len(d['certificates']), d['thumbprint'])"
            ),
            format!("2 0 {}\n", with_colons.replace(':', ""))
        );
    }
    // Not a hash: usage error.
    chainsmith()
        .arg("inspect")
        .arg(fixture("root.crt"))
        .args(["--thumbprint", "62BF1CFA"])
        .refused("expected 40");
}

#[test]
fn unreadable_inputs_exit_2_with_one_line_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.crt");
    std::fs::write(&junk, b"hello, not a certificate\n").unwrap();
    for (path, what) in [
        (tmp.path().join("nope.pem"), "cannot read"),
        (junk.clone(), "no certificate found"),
        (fixture("empty.pem"), "empty"),
        (fixture("server.key"), "private key only"),
    ] {
        let out = chainsmith()
            .arg("inspect")
            .arg(fixture("root.crt"))
            .arg(&path)
            .assert()
            .code(2)
            .stdout("");
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains(what), "{err}");
        // The private key is never printed.
        assert!(!err.contains("PRIVATE KEY-----"));
    }
}

#[test]
fn reads_standard_input() {
    let pem = std::fs::read(fixture("server-fullchain.pem")).unwrap();
    chainsmith()
        .args(["inspect", "-"])
        .write_stdin(pem)
        .assert()
        .success()
        .stdout(predicate::str::contains("found in     -:1"));
}

#[test]
fn pkcs12_needs_and_takes_a_password() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let dir = tmp.path();
    std::fs::write(dir.join("pass"), "s3cret\n").unwrap();
    openssl_server_pfx(dir, "pass:s3cret", "server.pfx", &[]);
    let out = chainsmith()
        .current_dir(dir)
        .args(["inspect", "server.pfx", "--password-file", "pass"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("[leaf] www.example.com"), "{text}");
    assert!(
        text.contains("[intermediate] Fixture Intermediate CA"),
        "{text}"
    );
    assert!(!text.contains("PRIVATE KEY"));
    chainsmith()
        .current_dir(dir)
        .args(["inspect", "server.pfx"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("server.pfx").and(predicate::str::contains("password")));
    chainsmith()
        .current_dir(dir)
        .env("PFX_PW", "wrong")
        .args(["inspect", "server.pfx", "--password-env", "PFX_PW"])
        .refused("server.pfx");
}

#[test]
fn control_characters_from_certificates_are_escaped() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    openssl_self_signed(
        tmp.path(),
        "k.pem",
        "evil.pem",
        "/CN=evil\u{1b}[31mred",
        1,
        &[],
    );
    let out = chainsmith()
        .current_dir(tmp.path())
        .args(["inspect", "evil.pem"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("\\u{1b}[31mred"), "{text}");
    // --color always styles the output, but still never passes the
    // certificate's own escape sequence through.
    let out = chainsmith()
        .current_dir(tmp.path())
        .args(["inspect", "--color", "always", "evil.pem"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("\u{1b}[1m[root] evil\\u{1b}[31mred\u{1b}[0m"),
        "{text}"
    );
    assert!(text.contains("\u{1b}[32mself-signed"), "{text}");
}

/// `--no-password` opens a PKCS#12 file made with an empty password, in
/// `inspect` and `lint` as in `convert` and `bundle`.
#[test]
fn no_password_opens_an_empty_password_pfx_in_inspect_and_lint() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    openssl_certs_pfx(
        tmp.path(),
        "server-fullchain.pem",
        "pass:",
        "empty.pfx",
        &[],
    );
    let pfx = tmp.path().join("empty.pfx");
    let out = chainsmith()
        .args(["inspect", "--no-password"])
        .arg(&pfx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Fixture Intermediate CA"));
    // Without a password source there is no way in.
    chainsmith().arg("inspect").arg(&pfx).assert().code(2);

    let out = chainsmith()
        .args([
            "lint",
            "--no-config",
            "--format",
            "json",
            "--at",
            AT,
            "--no-password",
        ])
        .arg(&pfx)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        !codes.contains(&"CS108") && !codes.contains(&"CS101"),
        "{codes:?}"
    );
}
