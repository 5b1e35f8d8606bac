//! `chainsmith lint` on the openssl-made fixtures: each broken file fires
//! its rule, the good files are clean, and exit codes, formats, config and
//! the pre-commit hook behave as documented.
use std::path::Path;
use std::process::Command as StdCommand;

use serde_json::Value;

use crate::support::*;

#[test]
fn each_broken_fixture_fires_its_rule() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("fixtures/reversed-chain.pem", &[], "CS203"),
        ("fixtures/missing-intermediate.pem", &[], "CS204"),
        ("fixtures/leaf-only-ca-bundle.pem", &[], "CS201"),
        ("fixtures/fullchain-as-ca-bundle.pem", &[], "CS202"),
        (
            "fixtures/fullchain-as-ca-bundle.pem",
            &["--expect", "ca-bundle"],
            "CS202",
        ),
        (
            "fixtures/server-fullchain.pem",
            &["--expect", "ca-bundle"],
            "CS202",
        ),
        ("fixtures/server.crt", &["--expect", "ca-bundle"], "CS201"),
        ("fixtures/duplicate.pem", &[], "CS105"),
        ("fixtures/foreign-root-bundle.pem", &[], "CS208"),
        ("fixtures/forged-issuer.pem", &[], "CS206"),
        ("fixtures/pathlen-violation.pem", &[], "CS209"),
        ("fixtures/with-private-key.pem", &[], "CS104"),
        ("fixtures/crlf-text.pem", &[], "CS103"),
        ("fixtures/crlf-text.pem", &[], "CS106"),
        ("fixtures/expired.pem", &[], "CS301"),
        ("fixtures/no-san.pem", &[], "CS309"),
        ("fixtures/self-signed-leaf.pem", &[], "CS313"),
        ("fixtures/weak-rsa1024.pem", &[], "CS308"),
        ("fixtures/sha1-leaf.pem", &[], "CS307"),
        ("fixtures/no-serverauth.pem", &[], "CS310"),
        ("fixtures/ca-no-keycertsign.pem", &[], "CS305"),
        ("fixtures/bc-not-critical.pem", &[], "CS306"),
        ("fixtures/empty.pem", &[], "CS107"),
        ("fixtures/chain-with-root.pem", &[], "CS210"),
        (
            "fixtures/intermediate.crt",
            &["--expect", "ca-bundle"],
            "CS205",
        ),
        (
            "fixtures/server-fullchain.pem",
            &["--host", "api.example.org"],
            "CS311",
        ),
        (
            "fixtures/server-fullchain.pem",
            &["--key", "fixtures/intermediate.key"],
            "CS212",
        ),
        ("fixtures/root.crt", &["--expect", "apim-ca"], "CS401"),
        ("fixtures/ca-bundle.pem", &["--expect", "aks"], "CS403"),
    ];
    for (file, extra, code) in cases {
        let mut args: Vec<&str> = extra.to_vec();
        args.push(file);
        let (_, v) = lint_json(&args);
        let got = codes(&v);
        assert!(
            got.iter().any(|c| c == code),
            "{file} {extra:?}: expected {code}, got {got:?}"
        );
    }
}

#[test]
fn good_fixtures_are_clean_and_exit_zero() {
    for file in [
        "fixtures/server-fullchain.pem",
        "fixtures/ca-bundle.pem",
        "fixtures/root.crt",
        "fixtures/root.der",
        "fixtures/server-fullchain.p7b",
        "fixtures/foreign-root.crt",
        "fixtures/openssl-ca/ca.crt",
        "fixtures/openssl-ca/ec-ca.crt",
    ] {
        let (code, v) = lint_json(&[file]);
        assert_eq!(codes(&v), Vec::<String>::new(), "{file}");
        assert_eq!(code, 0, "{file}");
    }
    // A root in a served chain is only a note: exit 0.
    let (code, v) = lint_json(&["fixtures/chain-with-root.pem"]);
    assert_eq!((code, codes(&v)), (0, vec!["CS210".to_owned()]));
    // The right key, host and trust store: still clean.
    let (code, v) = lint_json(&[
        "--key",
        "fixtures/server.key",
        "--host",
        "www.example.com",
        "--trust",
        "fixtures/root.crt",
        "fixtures/server-fullchain.pem",
    ]);
    assert_eq!((code, codes(&v)), (0, Vec::<String>::new()));
    assert_eq!(v["files"][0]["trust"]["trusted"], true);
}

#[test]
fn the_three_core_messages_say_what_to_do() {
    let (code, v) = lint_json(&["fixtures/leaf-only-ca-bundle.pem"]);
    assert_eq!(code, 1);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "CS201");
    assert_eq!(
        f["message"],
        "this is the server certificate; upload its issuing CAs instead: O=chainsmith fixtures, CN=Fixture Intermediate CA"
    );
    assert_eq!(f["line"], 1);
    assert_eq!(
        f["certificate"]["sha256_prefix"].as_str().unwrap().len(),
        12
    );

    let (_, v) = lint_json(&["fixtures/fullchain-as-ca-bundle.pem"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "CS202")
        .unwrap();
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .starts_with("remove www.example.com (the block at line 1)"),
        "{f}"
    );

    let (_, v) = lint_json(&["fixtures/reversed-chain.pem"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "CS203")
        .unwrap();
    assert_eq!(f["severity"], "error");
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.starts_with("put the chain in this order: www.example.com ["),
        "{fix}"
    );
    assert!(fix.contains("→ Fixture Intermediate CA ["), "{fix}");

    let (_, v) = lint_json(&["fixtures/missing-intermediate.pem"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "CS204")
        .unwrap();
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("`O=chainsmith fixtures, CN=Fixture Intermediate CA` (AKI "),
        "{msg}"
    );
}

#[test]
fn exit_codes_follow_fail_on_overrides_and_exit_zero() {
    let (code, _) = lint_json(&["fixtures/duplicate.pem"]);
    assert_eq!(
        code, 0,
        "a warning does not fail at the default --fail-on error"
    );
    let (code, _) = lint_json(&["--fail-on", "warning", "fixtures/duplicate.pem"]);
    assert_eq!(code, 1);
    let (code, _) = lint_json(&["-D", "duplicate-certificate", "fixtures/duplicate.pem"]);
    assert_eq!(code, 1);
    let (code, v) = lint_json(&["-A", "CS105", "--fail-on", "note", "fixtures/duplicate.pem"]);
    assert_eq!((code, codes(&v).len()), (0, 0));
    let (code, v) = lint_json(&["-W", "CS301", "fixtures/expired.pem"]);
    assert_eq!(code, 0);
    assert_eq!(v["findings"][0]["severity"], "warning");
    let (code, _) = lint_json(&["--exit-zero", "fixtures/expired.pem"]);
    assert_eq!(code, 0);
    let (code, _) = lint_json(&["--fail-on", "note", "fixtures/chain-with-root.pem"]);
    assert_eq!(code, 1);
}

#[test]
fn unreadable_file_is_reported_the_rest_checked_exit_2() {
    for format in ["human", "json", "sarif", "github"] {
        let out = chainsmith()
            .current_dir(repo())
            .args(["lint", "--no-config", "--at", AT, "--format", format])
            .args(["fixtures/does-not-exist.pem", "fixtures/expired.pem"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("fixtures/does-not-exist.pem"), "{stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("CS301"),
            "{format}: the other file is still checked: {stdout}"
        );
    }
    // --exit-zero does not hide I/O errors.
    let (code, v) = lint_json(&["--exit-zero", "fixtures/does-not-exist.pem"]);
    assert_eq!(code, 2);
    assert_eq!(v["summary"]["unreadable_files"], 1);
}

#[test]
fn usage_and_config_errors_exit_2() {
    for args in [
        vec!["--at", "yesterday", "fixtures/root.crt"],
        vec!["-D", "CS999", "fixtures/root.crt"],
        vec!["--trust", "fixtures/empty.pem", "fixtures/root.crt"],
        vec![
            "--config",
            "fixtures/does-not-exist.toml",
            "fixtures/root.crt",
        ],
    ] {
        let out = chainsmith()
            .current_dir(repo())
            .arg("lint")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("error: "),
            "{args:?}"
        );
    }
    chainsmith().arg("lint").assert().code(2);
}

#[test]
fn directories_are_searched_by_extension_and_stdin_works() {
    let (_, v) = lint_json(&["fixtures"]);
    let files: Vec<&str> = field_of_each(&v["files"], "path");
    assert!(
        files.contains(&"fixtures/reversed-chain.pem")
            && files.contains(&"fixtures/openssl-ca/ca.crt")
    );
    assert!(
        !files
            .iter()
            .any(|f| f.ends_with(".key") || f.ends_with(".sh") || f.ends_with(".md")),
        "{files:?}"
    );
    let (_, v) = lint_json(&["--include", "*.der", "fixtures"]);
    assert_eq!(v["files"].as_array().unwrap().len(), 3);
    let (_, v) = lint_json(&["--exclude", "openssl-ca", "fixtures"]);
    let files: Vec<&str> = field_of_each(&v["files"], "path");
    assert!(!files.iter().any(|f| f.contains("openssl-ca")), "{files:?}");

    let bytes = std::fs::read(fixture("reversed-chain.pem")).unwrap();
    let out = lint()
        .format("json")
        .at(AT)
        .arg("-")
        .write_stdin(bytes)
        .output();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(codes(&v).contains(&"CS203".to_owned()));
}

#[test]
fn pkcs12_without_password_is_a_note_with_password_is_checked() {
    let p12 = corpus("pyca/pkcs12/cert-rc2-key-3des.p12");
    let (code, v) = lint_json(&[p12.to_str().unwrap()]);
    let got = codes(&v);
    assert!(
        got.contains(&"CS108".to_owned()) && got.contains(&"CS404".to_owned()),
        "{got:?}"
    );
    assert_eq!(code, 0);
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "cryptography").unwrap();
    let (_, v) = lint_json(&[
        "--password-file",
        pw.to_str().unwrap(),
        p12.to_str().unwrap(),
    ]);
    assert!(!codes(&v).contains(&"CS108".to_owned()));
    assert_eq!(v["files"][0]["certificates"], 1);
    std::fs::write(&pw, "wrong").unwrap();
    let (_, v) = lint_json(&[
        "--password-file",
        pw.to_str().unwrap(),
        p12.to_str().unwrap(),
    ]);
    assert!(codes(&v).contains(&"CS101".to_owned()));
}

#[test]
fn trust_answers_yes_or_no_with_a_reason() {
    let out = chainsmith()
        .current_dir(repo())
        .args([
            "lint",
            "--no-config",
            "--at",
            AT,
            "--trust",
            "fixtures/root.crt",
        ])
        .args([
            "fixtures/server-fullchain.pem",
            "fixtures/missing-intermediate.pem",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "trust: fixtures/server-fullchain.pem: trusted: trusted by every client checked (openssl, openssl-strict, curl, go, java, webpki, dotnet-linux, nginx); path of 3 certificates"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "trust: fixtures/missing-intermediate.pem: NOT trusted: rejected by every client checked"
        ),
        "{text}"
    );
    // One line per client, each with its reason.
    for client in ["openssl", "curl", "go", "java", "dotnet-linux", "nginx"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(client)
                && l.contains("NOT trusted")
                && l.contains("unable to get the issuer")),
            "{client}: {text}"
        );
    }
    assert!(text.contains("error[CS213]"));
    // Trusting a foreign root: the chain does not lead there.
    let (code, v) = lint_json(&[
        "--trust",
        "fixtures/foreign-root.crt",
        "fixtures/server-fullchain.pem",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["files"][0]["trust"]["trusted"], false);
}

#[test]
fn config_file_sets_intent_severities_and_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(certs.join("vendor")).unwrap();
    std::fs::copy(fixture("server.crt"), certs.join("upload.pem")).unwrap();
    std::fs::copy(fixture("duplicate.pem"), certs.join("dup.pem")).unwrap();
    std::fs::copy(fixture("expired.pem"), certs.join("vendor/old.pem")).unwrap();
    std::fs::write(
        dir.path().join(".chainsmith.toml"),
        "deny = [\"duplicate-certificate\"]\nignore = [\"**/vendor/**\"]\n[expect]\n\"certs/upload.pem\" = \"ca-bundle\"\n",
    )
    .unwrap();
    // Found upward from a subdirectory.
    let out = chainsmith()
        .current_dir(&certs)
        .args(["lint", "--format", "json", "--at", AT, "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got = codes(&v);
    assert!(
        got.contains(&"CS201".to_owned()),
        "per-glob expect: {got:?}"
    );
    let dup = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "CS105")
        .unwrap();
    assert_eq!(dup["severity"], "error");
    assert!(
        !got.contains(&"CS301".to_owned()),
        "vendor/ is ignored: {got:?}"
    );
    // A broken config is a usage error.
    std::fs::write(dir.path().join(".chainsmith.toml"), "severity = 1\n").unwrap();
    let out = chainsmith()
        .current_dir(&certs)
        .args(["lint", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn certificate_text_is_escaped_in_human_and_github_output() {
    let mut params = rcgen::CertificateParams::new(vec!["evil.example.com".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "evil\u{1b}[31m\u{7}name");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.pem");
    std::fs::write(&path, cert.pem()).unwrap();
    for format in ["human", "github"] {
        let out = chainsmith()
            .args([
                "lint",
                "--no-config",
                "--color",
                "never",
                "--format",
                format,
            ])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("evil\\u{1b}[31m"), "{format}: {text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{format}"
        );
    }
}

#[test]
fn color_only_when_asked() {
    let run = |args: &[&str], no_color: bool| {
        let mut cmd = chainsmith();
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd
            .current_dir(repo())
            .args(["lint", "--no-config", "--at", AT])
            .args(args)
            .arg("fixtures/expired.pem")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains('\u{1b}')
    };
    assert!(run(&["--color", "always"], false));
    assert!(!run(&["--color", "never"], false));
    assert!(!run(&[], false), "auto and not a terminal");
    // NO_COLOR matters where auto would colour: on a terminal.
    if !have("script") {
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let on_terminal = |no_color: bool| {
        let mut cmd = std::process::Command::new("script");
        cmd.current_dir(repo()).args([
            "-qec",
            &format!(
                "{} lint --no-config --at {AT} fixtures/expired.pem",
                bin.display()
            ),
            "/dev/null",
        ]);
        for var in ["NO_COLOR", "CI", "CLICOLOR", "CLICOLOR_FORCE"] {
            cmd.env_remove(var);
        }
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        // The report itself ran (expired.pem has findings), not just a shell.
        assert!(text.contains("CS301"), "{text}");
        text.contains('\u{1b}')
    };
    assert!(on_terminal(false), "auto on a terminal is coloured");
    assert!(!on_terminal(true), "NO_COLOR on a terminal is not");
}

#[test]
fn sarif_and_github_formats() {
    let out = chainsmith()
        .current_dir(repo())
        .args([
            "lint",
            "--no-config",
            "--at",
            AT,
            "--format",
            "sarif",
            "fixtures/reversed-chain.pem",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 39);
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "CS203");
    assert_eq!(
        rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "CS203"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/reversed-chain.pem"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );

    let out = chainsmith()
        .current_dir(repo())
        .args([
            "lint",
            "--no-config",
            "--at",
            AT,
            "--format",
            "github",
            "fixtures/reversed-chain.pem",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(
            "::error file=fixtures/reversed-chain.pem,line=1,title=CS203 wrong-order::"
        ),
        "{text}"
    );
}

/// Snapshot the three main formats on a fixed set, run from the repo root
/// with relative paths (no machine paths in the snapshots).
fn snapshot_run(format: &str) -> String {
    let out = chainsmith()
        .current_dir(repo())
        .args([
            "lint",
            "--no-config",
            "--color",
            "never",
            "--at",
            AT,
            "--format",
            format,
        ])
        .args([
            "fixtures/reversed-chain.pem",
            "fixtures/leaf-only-ca-bundle.pem",
            "fixtures/duplicate.pem",
            "fixtures/ca-bundle.pem",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn snapshot_human() {
    insta::assert_snapshot!(snapshot_run("human"));
}

#[test]
fn snapshot_json() {
    insta::assert_snapshot!(snapshot_run("json"));
}

#[test]
fn snapshot_sarif() {
    insta::assert_snapshot!(snapshot_run("sarif"));
}

#[test]
fn pre_commit_hook_passes_clean_files_and_fails_a_leaf_only_bundle() {
    if !have("pre-commit") || !have("git") {
        return;
    }
    // The manifest this repository publishes is valid for pre-commit.
    let (ok, text) = run(StdCommand::new("pre-commit")
        .arg("validate-manifest")
        .arg(repo().join(".pre-commit-hooks.yaml")));
    assert!(ok, "{text}");
    let manifest = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(
        manifest.contains("id: chainsmith-lint") && manifest.contains("entry: chainsmith lint")
    );

    // The published `language: python` hook would make pre-commit build the
    // wheel from this repository (minutes of release build; .ci/run does
    // that once, in scripts/wheel-check.sh), so this throwaway repo uses a
    // local `language: system` hook with the same entry arguments pointing
    // at the binary under test.
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("repo");
    std::fs::create_dir(&work).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let files_re = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("files: "))
        .unwrap()
        .trim()
        .trim_matches('\'')
        .to_owned();
    let config = format!(
        "repos:\n- repo: local\n  hooks:\n  - id: chainsmith-lint\n    name: chainsmith lint\n    language: system\n    entry: {} lint --at {AT}\n    files: '{files_re}'\n",
        bin.display()
    );
    std::fs::write(work.join(".pre-commit-config.yaml"), config).unwrap();
    for f in ["server-fullchain.pem", "ca-bundle.pem", "root.der"] {
        std::fs::copy(fixture(f), work.join(f)).unwrap();
    }
    let git = |args: &[&str]| run(StdCommand::new("git").current_dir(&work).args(args));
    assert!(git(&["init", "-q"]).0);
    assert!(git(&["add", "-A"]).0);
    let pre_commit = |work: &Path| {
        run(StdCommand::new("pre-commit")
            .current_dir(work)
            .env("PRE_COMMIT_HOME", dir.path().join("cache"))
            .args(["run", "--all-files"]))
    };
    let (ok, text) = pre_commit(&work);
    assert!(ok, "clean files must pass: {text}");
    std::fs::copy(fixture("server.crt"), work.join("ca-bundle.pem")).unwrap();
    assert!(git(&["add", "-A"]).0);
    let (ok, text) = pre_commit(&work);
    assert!(!ok, "a leaf-only ca-bundle.pem must fail: {text}");
    assert!(text.contains("CS201"), "{text}");
}

#[test]
fn big_scans_show_progress_only_on_a_terminal() {
    let Some(tmp) = tempdir_with(&["script"]) else {
        return;
    };
    let pem = std::fs::read(fixture("server-fullchain.pem")).unwrap();
    for i in 0..250 {
        std::fs::write(tmp.path().join(format!("f{i}.pem")), &pem).unwrap();
    }
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let term = |env_ci: Option<&str>| {
        let mut cmd = std::process::Command::new("script");
        cmd.args([
            "-qec",
            &format!("{} lint {}", bin.display(), tmp.path().display()),
            "/dev/null",
        ]);
        cmd.env_remove("CI");
        if let Some(v) = env_ci {
            cmd.env("CI", v);
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    assert!(
        term(None).contains("reading"),
        "no progress bar on a terminal"
    );
    assert!(
        !term(Some("true")).contains("reading"),
        "progress bar in CI"
    );
    // Piped: stderr stays clean.
    chainsmith()
        .arg("lint")
        .arg(tmp.path())
        .assert()
        .success()
        .stderr(predicates::str::is_empty());
}

/// Name constraints beyond DNS, on certificates openssl made: a root that
/// permits only the mail domain example.com and the range 192.0.2.0/24.
/// A leaf inside both is trusted; one whose subject emailAddress or IP SAN
/// falls outside is not (CS213, saying which name and why).
#[test]
fn email_and_ip_name_constraints_decide_trust() {
    assert!(have("openssl"), "openssl is needed");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("ca.cnf"),
        "[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
         nameConstraints=critical,permitted;email:example.com,permitted;IP:192.0.2.0/255.255.255.0\n\
         subjectKeyIdentifier=hash\n",
    )
    .unwrap();
    let ok = |args: &[&str]| {
        let (ok, out) = openssl(d, args);
        assert!(ok, "openssl {args:?}: {out}");
    };
    openssl_self_signed(
        d,
        "ca.key",
        "ca.crt",
        "/CN=Constrained Root",
        3650,
        &["-config", "ca.cnf", "-extensions", "v3_ca"],
    );
    let leaf = |name: &str, subj: &str, san: &str| {
        std::fs::write(
            d.join(format!("{name}.cnf")),
            format!(
                "[v3]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                     extendedKeyUsage=serverAuth\nsubjectAltName={san}\n"
            ),
        )
        .unwrap();
        openssl_p256_csr(d, &format!("{name}.key"), &format!("{name}.csr"), subj);
        ok(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "365",
            "-out",
            &format!("{name}.crt"),
            "-extfile",
            &format!("{name}.cnf"),
            "-extensions",
            "v3",
        ]);
    };
    leaf(
        "inside",
        "/CN=svc/emailAddress=ops@example.com",
        "IP:192.0.2.10",
    );
    leaf(
        "bad-mail",
        "/CN=svc/emailAddress=ops@example.org",
        "IP:192.0.2.11",
    );
    leaf(
        "bad-ip",
        "/CN=svc/emailAddress=ops@example.com",
        "IP:198.51.100.7",
    );
    let verdict = |name: &str| {
        let out = chainsmith()
            .current_dir(d)
            .args([
                "lint",
                "--no-config",
                "--expect",
                "server-chain",
                "--trust",
                "ca.crt",
            ])
            .arg(format!("{name}.crt"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = verdict("inside");
    assert!(
        text.contains("trusted: trusted by every client checked"),
        "{text}"
    );
    assert!(!text.contains("CS213"), "{text}");
    assert_eq!(code, Some(0), "{text}");
    for (leaf, outside) in [("bad-mail", "ops@example.org"), ("bad-ip", "198.51.100.7")] {
        let (code, text) = verdict(leaf);
        assert!(text.contains("error[CS213]"), "{text}");
        assert!(
            text.contains(&format!("{outside} is outside the permitted subtrees")),
            "{text}"
        );
        assert_eq!(code, Some(1), "{leaf}");
    }
}
