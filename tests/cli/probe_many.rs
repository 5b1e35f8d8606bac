//! `probe` of many targets in one run: from the command line and from
//! `--targets FILE`, at most `--jobs` at a time, one report, and a target
//! that fails is that target's error (exit 2) while the others still run.
//! The served chains come from nginx and `openssl s_server` on 127.0.0.1;
//! expiry dates are checked against `openssl x509 -enddate`.
use std::time::{Duration, Instant};

use crate::support::*;

const AT: &str = "2027-01-01T00:00:00Z";

/// Days from AT to the certificate's notAfter, as openssl prints it and
/// Python's datetime counts it.
fn days_left_by_openssl(cert: &std::path::Path) -> i64 {
    let (ok, out) = run(std::process::Command::new("openssl")
        .args(["x509", "-noout", "-enddate", "-in"])
        .arg(cert));
    assert!(ok, "{out}");
    let end = out.trim().trim_start_matches("notAfter=").to_owned();
    let py = format!(
        "import datetime\nend = datetime.datetime.strptime({end:?}, '%b %d %H:%M:%S %Y GMT')\n\
         at = datetime.datetime(2027, 1, 1)\nprint((end - at).days)\n"
    );
    let (ok, out) = run(std::process::Command::new("python3").args(["-c", &py]));
    assert!(ok, "{out}");
    out.trim().parse().unwrap()
}

#[test]
fn a_fleet_from_arguments_and_a_targets_file_is_one_report() {
    let Some(tmp) = tempdir_with(&["openssl", "python3"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &[]);
    let Some(full) = Nginx::serving(&chain, "server-fullchain.crt") else {
        return;
    };
    let Some(leaf_only) = Nginx::serving(&chain, "server.crt") else {
        return;
    };
    let srv = SServer::start(
        tmp.path(),
        &[
            "-cert",
            &chain.join("server.crt").display().to_string(),
            "-key",
            &chain.join("server.key").display().to_string(),
            "-cert_chain",
            &chain.join("intermediate.crt").display().to_string(),
        ],
    )
    .unwrap();
    let closed = free_port();
    let list = tmp.path().join("targets.txt");
    std::fs::write(
        &list,
        format!(
            "# backends after the rotation\n\n{}  www.example.com\n127.0.0.1:{closed} www.example.com  # gone\n{} www.example.com\n",
            leaf_only.addr(),
            srv.addr()
        ),
    )
    .unwrap();
    let out = chainsmith()
        .args([
            "probe",
            &full.addr(),
            "--sni",
            "www.example.com",
            "--targets",
        ])
        .arg(&list)
        .args([
            "--jobs",
            "3",
            "--timeout",
            "5",
            "--at",
            AT,
            "--format",
            "json",
        ])
        .arg("--ca-bundle")
        .arg(chain.join("root.crt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an unreachable target exits 2");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 4, "{v}");
    // In the order given: arguments first, then the file.
    assert_eq!(targets[0]["target"], full.addr());
    assert_eq!(targets[1]["target"], leaf_only.addr());
    assert_eq!(targets[2]["target"], format!("127.0.0.1:{closed}"));
    assert_eq!(targets[3]["target"], srv.addr());
    // Served chains as sent: leaf + intermediate, leaf alone.
    assert_eq!(targets[0]["chain"].as_array().unwrap().len(), 2);
    assert_eq!(targets[1]["chain"].as_array().unwrap().len(), 1);
    assert_eq!(targets[3]["chain"].as_array().unwrap().len(), 2);
    // Days left, against openssl's notAfter.
    let expect = days_left_by_openssl(&chain.join("server.crt"));
    for i in [0, 1, 3] {
        assert_eq!(targets[i]["days_left"], expect, "{}", targets[i]);
        assert_eq!(targets[i]["sni"], "www.example.com");
        assert!(targets[i]["error"].is_null(), "{}", targets[i]);
    }
    // The unreachable one is its own error, and only it.
    assert!(
        targets[2]["error"]
            .as_str()
            .unwrap()
            .contains("connection failed"),
        "{v}"
    );
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!(errors[0]["file"], format!("127.0.0.1:{closed}"));
    // Trust verdicts per client, per target: with only the root, the
    // leaf-only backend is not trusted (curl agrees: e2e.rs), the others are.
    let files = v["files"].as_array().unwrap();
    let trusted = |i: usize| {
        let f = files
            .iter()
            .find(|f| f["path"] == targets[i]["file"])
            .unwrap();
        assert!(!f["trust"]["clients"].as_array().unwrap().is_empty(), "{f}");
        f["trust"]["trusted"].as_bool().unwrap()
    };
    assert!(trusted(0) && trusted(3) && !trusted(1), "{v}");
    // stderr: one line, for the failed target.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    // The human report lists every target and counts targets.
    let out = chainsmith()
        .args([
            "probe",
            &full.addr(),
            &srv.addr(),
            "--sni",
            "www.example.com",
            "--at",
            AT,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("{} (127.0.0.1", full.addr())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} (127.0.0.1", srv.addr())),
        "{text}"
    );
    assert!(text.contains("in 2 targets"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[test]
fn jobs_bounds_how_many_targets_wait_at_once() {
    // Three silent servers (they accept and never answer): each target
    // takes its whole timeout. One at a time that is three timeouts; three
    // at a time, about one.
    let silent: Vec<std::net::TcpListener> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let addrs: Vec<String> = silent
        .iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect();
    let timed = |jobs: &str| {
        let t = Instant::now();
        let out = chainsmith()
            .arg("probe")
            .args(&addrs)
            .args(["--timeout", "1", "--jobs", jobs, "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for t in v["targets"].as_array().unwrap() {
            assert!(t["error"].as_str().unwrap().contains("timed out"), "{t}");
        }
        t.elapsed()
    };
    let serial = timed("1");
    assert!(
        serial >= Duration::from_millis(2900),
        "--jobs 1 took {serial:?}"
    );
    let parallel = timed("3");
    assert!(
        parallel < Duration::from_millis(2900),
        "--jobs 3 took {parallel:?}: the targets did not wait together"
    );
    drop(silent);
}

#[test]
fn a_bad_targets_file_is_one_line_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("t.txt");
    std::fs::write(&list, "ok.example:443\nhost:notaport\n").unwrap();
    let out = chainsmith()
        .args(["probe", "--targets"])
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("t.txt:2: "), "{err}");
    // Only comments: no target.
    std::fs::write(&list, "# nothing yet\n\n").unwrap();
    chainsmith()
        .args(["probe", "--targets"])
        .arg(&list)
        .refused("no target");
    // Over the size limit: refused before parsing.
    std::fs::write(&list, "a.example\n".repeat(120_000)).unwrap();
    chainsmith()
        .args(["probe", "--targets"])
        .arg(&list)
        .refused("larger than");
}
