//! `cargo bench --bench store`: convert and bundle the system trust store
//! (144 certificates on Debian 12) end to end, as a user runs them, and
//! report the median of 30 runs against the 20 ms budget of issue 4.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const STORE: &str = "/etc/ssl/certs/ca-certificates.crt";
const RUNS: usize = 30;
const BUDGET: Duration = Duration::from_millis(20);

fn main() {
    if !Path::new(STORE).exists() {
        println!("skipped: {STORE} does not exist");
        return;
    }
    let exe = env!("CARGO_BIN_EXE_chainsmith");
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "bundle --for ca, stdout",
            vec!["bundle".into(), STORE.into()],
        ),
        (
            "bundle --for ca -o FILE",
            vec![
                "bundle".into(),
                STORE.into(),
                "--force".into(),
                "-o".into(),
                out("bundle.pem"),
            ],
        ),
        (
            "convert --to pem -o FILE",
            vec![
                "convert".into(),
                "--to".into(),
                "pem".into(),
                STORE.into(),
                "--force".into(),
                "-o".into(),
                out("store.pem"),
            ],
        ),
        (
            "convert --to der -o DIR (144 files)",
            vec![
                "convert".into(),
                "--to".into(),
                "der".into(),
                STORE.into(),
                "--force".into(),
                "-o".into(),
                out("der"),
            ],
        ),
    ];
    for (label, args) in cases {
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS + 3 {
            let start = Instant::now();
            let status = Command::new(exe).args(&args).output().unwrap().status;
            times.push(start.elapsed());
            assert!(status.success(), "{label} failed");
        }
        times.drain(..3); // warm-up
        times.sort();
        let median = times[RUNS / 2];
        let verdict = if median <= BUDGET {
            "ok"
        } else {
            "OVER the 20 ms budget"
        };
        println!(
            "{label:<40} median {:>7.2} ms  min {:>7.2} ms  {verdict}",
            median.as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3
        );
    }
}
