//! Bounds on every input (docs/robustness.md, "Limits"): one regression test
//! per attack found by the adversarial run. Each hostile input is refused
//! with exit 2 and one line that names the limit and the file, well inside a
//! generous wall-clock bound (the attacks took minutes or aborted before).
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::*;

/// Far above what a refusal takes (milliseconds), far below what the attacks took.
const BOUND: Duration = Duration::from_secs(10);

// ------------------------------------------------------------ DER helpers

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

fn int(v: u64) -> Vec<u8> {
    let mut b: Vec<u8> = v
        .to_be_bytes()
        .into_iter()
        .skip_while(|x| *x == 0)
        .collect();
    if b.first().is_none_or(|x| x & 0x80 != 0) {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}

fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut out = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &a in &arcs[2..] {
        let mut enc = vec![(a & 0x7f) as u8];
        let mut v = a >> 7;
        while v > 0 {
            enc.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        enc.reverse();
        out.extend(enc);
    }
    tlv(0x06, &out)
}

const PBES2: &str = "1.2.840.113549.1.5.13";
const DATA: &str = "1.2.840.113549.1.7.1";

/// PBES2 AlgorithmIdentifier around a KDF and AES-256-CBC.
fn pbes2(kdf: Vec<u8>) -> Vec<u8> {
    seq(&[
        oid(PBES2),
        seq(&[
            kdf,
            seq(&[oid("2.16.840.1.101.3.4.1.42"), octets(&[2; 16])]),
        ]),
    ])
}

fn pbkdf2(iterations: u64) -> Vec<u8> {
    seq(&[
        oid("1.2.840.113549.1.5.12"),
        seq(&[
            octets(&[1; 16]),
            int(iterations),
            seq(&[oid("1.2.840.113549.2.9"), tlv(0x05, &[])]),
        ]),
    ])
}

fn scrypt(n: u64, r: u64, p: u64) -> Vec<u8> {
    seq(&[
        oid("1.3.6.1.4.1.11591.4.11"),
        seq(&[octets(&[1; 16]), int(n), int(r), int(p)]),
    ])
}

/// EncryptedPrivateKeyInfo with the given algorithm (the ciphertext is
/// never reached: the limits refuse before any derivation).
fn epki(alg: Vec<u8>) -> Vec<u8> {
    seq(&[alg, octets(&[3; 64])])
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn write_key(dir: &Path, name: &str, alg: Vec<u8>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, pem("ENCRYPTED PRIVATE KEY", &epki(alg))).unwrap();
    p
}

/// A MAC-less PFX (as `p12-keystore` and OpenSSL accept) of SafeBags in
/// one `data` safe.
fn pfx(bags: &[Vec<u8>]) -> Vec<u8> {
    let safe = seq(&[oid(DATA), tlv(0xa0, &octets(&seq(bags)))]);
    seq(&[int(3), seq(&[oid(DATA), tlv(0xa0, &octets(&seq(&[safe])))])])
}

fn cert_bag(der: &[u8]) -> Vec<u8> {
    let cert = seq(&[oid("1.2.840.113549.1.9.22.1"), tlv(0xa0, &octets(der))]);
    seq(&[oid("1.2.840.113549.1.12.10.1.3"), tlv(0xa0, &cert)])
}

/// A secret bag holding an encrypted PKCS#8, as Java and `p12-keystore` write it.
fn secret_bag(alg: Vec<u8>) -> Vec<u8> {
    let secret = seq(&[
        oid("1.2.840.113549.1.12.10.1.2"),
        tlv(0xa0, &octets(&epki(alg))),
    ]);
    seq(&[oid("1.2.840.113549.1.12.10.1.5"), tlv(0xa0, &secret)])
}

fn shrouded_key_bag(alg: Vec<u8>) -> Vec<u8> {
    seq(&[oid("1.2.840.113549.1.12.10.1.2"), tlv(0xa0, &epki(alg))])
}

// ------------------------------------------------------------ running

/// The findings of `lint --format json` output with rule `code`.
fn findings_of(stdout: &[u8], code: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .cloned()
        .collect()
}

/// Run, timed; returns (exit code, stderr).
fn timed(cmd: &mut assert_cmd::Command) -> (Option<i32>, String) {
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let took = started.elapsed();
    assert!(took < BOUND, "took {took:?}");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exit 2, one line that names `file` and contains every needle.
fn refused(cmd: &mut assert_cmd::Command, file: &Path, needles: &[&str]) -> String {
    let (code, err) = timed(cmd);
    assert_eq!(code, Some(2), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    let name = file.display().to_string();
    assert!(lines[0].contains(&name), "`{name}` not in: {err}");
    for n in needles {
        assert!(lines[0].contains(n), "`{n}` not in: {err}");
    }
    lines[0].to_owned()
}

fn password_file(dir: &Path) -> PathBuf {
    let p = dir.join("pw");
    std::fs::write(&p, "pw\n").unwrap();
    p
}

fn issue_with_ca_key(dir: &Path, key: &Path) -> assert_cmd::Command {
    issue(fixture("openssl-ca/ca.crt"), key)
        .san("new.example.com")
        .flag("--ca-key-password-file", password_file(dir))
        .out(dir.join("out"))
        .command()
}

/// `issue` by the fixture CA, with `key` as the new certificate's key.
fn issue_with_key(dir: &Path, key: &Path) -> Invocation {
    issue(fixture("openssl-ca/ca.crt"), fixture("openssl-ca/ca.key"))
        .san("new.example.com")
        .key(key)
        .out(dir.join("out"))
}

/// `lint --key KEY` of the fixture chain, with the password file in `dir`.
fn lint_with_key(dir: &Path, key: &Path) -> assert_cmd::Command {
    lint()
        .key(key)
        .flag("--password-file", password_file(dir))
        .arg(fixture("server-fullchain.pem"))
        .command()
}

// ------------------------------------------------------------ PKCS#8 key derivation

#[test]
fn pbkdf2_with_four_billion_iterations_is_refused_before_deriving() {
    let tmp = tempfile::tempdir().unwrap();
    // The attack: `issue --ca-key` ran PBKDF2 for about 11 minutes.
    let key = write_key(tmp.path(), "ca.key", pbes2(pbkdf2(4_294_967_295)));
    refused(
        &mut issue_with_ca_key(tmp.path(), &key),
        &key,
        &[
            "4294967295 iterations",
            "limit of 2000000 iterations per key derivation",
        ],
    );
    assert!(!tmp.path().join("out").exists());
    // The same key with a count inside the limit is derived: it then fails
    // to decrypt (its ciphertext is filler), which shows the count alone
    // made the difference.
    let key = write_key(tmp.path(), "ok.key", pbes2(pbkdf2(2048)));
    refused(
        &mut issue_with_ca_key(tmp.path(), &key),
        &key,
        &["cannot decrypt the key"],
    );
}

#[test]
fn scrypt_with_a_petabyte_of_memory_is_refused_not_aborted() {
    // The attack: N=2^40 made `issue --key` abort (SIGABRT) on a 1 PiB allocation.
    let tmp = tempfile::tempdir().unwrap();
    let key = write_key(tmp.path(), "leaf.key", pbes2(scrypt(1 << 40, 8, 1)));
    let mut cmd = issue_with_key(tmp.path(), &key)
        .flag("--password-file", password_file(tmp.path()))
        .command();
    refused(
        &mut cmd,
        &key,
        &["N=1099511627776", "limit of 67108864 bytes"],
    );
}

#[test]
fn scrypt_with_p_65535_is_refused_by_the_work_limit() {
    // The attack: p=65535 made `convert --to pfx --key` run for minutes.
    let tmp = tempfile::tempdir().unwrap();
    let key = write_key(tmp.path(), "server.key", pbes2(scrypt(1 << 14, 8, 65_535)));
    let mut cmd = convert("pfx")
        .arg(fixture("server.crt"))
        .key(&key)
        .flag("--password-file", password_file(tmp.path()))
        .out(tmp.path().join("out.pfx"))
        .command();
    refused(&mut cmd, &key, &["p=65535", "work limit of 4194304"]);
    assert!(!tmp.path().join("out.pfx").exists());
}

#[test]
fn scrypt_with_a_gigabyte_of_memory_is_refused() {
    // The attack: N=2^20 (1 GiB) through `lint --key`.
    let tmp = tempfile::tempdir().unwrap();
    let key = write_key(tmp.path(), "server.key", pbes2(scrypt(1 << 20, 8, 1)));
    let mut cmd = lint_with_key(tmp.path(), &key);
    refused(
        &mut cmd,
        &key,
        &["1073741824 bytes", "limit of 67108864 bytes"],
    );
}

#[test]
fn fuzz_regression_scrypt_with_n_0_is_refused_not_a_panic() {
    // Found by the `pkcs8` fuzz target: scrypt N=0 made the `pkcs5` crate
    // panic (exit 101) while deriving, through PKCS#8 and PKCS#12 alike.
    let tmp = tempfile::tempdir().unwrap();
    let key = write_key(tmp.path(), "n0.key", pbes2(scrypt(0, 1, 1)));
    let mut cmd = lint_with_key(tmp.path(), &key);
    refused(&mut cmd, &key, &["N=0", "power of two"]);
    let file = tmp.path().join("n0.p12");
    std::fs::write(
        &file,
        pfx(&[
            cert_bag(&std::fs::read(fixture("root.der")).unwrap()),
            shrouded_key_bag(pbes2(scrypt(0, 1, 1))),
        ]),
    )
    .unwrap();
    refused(
        &mut convert_pfx(&file, &password_file(tmp.path())),
        &file,
        &["N=0", "power of two"],
    );
}

#[test]
fn pbes1_and_unknown_schemes_are_bounded_too() {
    let tmp = tempfile::tempdir().unwrap();
    // pbeWithSHAAnd3-KeyTripleDES-CBC (the PKCS#12 PBE that OpenSSL 1.x
    // wrote into PKCS#8) and an unknown scheme with the same parameters.
    for (name, scheme) in [
        ("pbe.key", "1.2.840.113549.1.12.1.3"),
        ("unknown.key", "1.2.3.4.5"),
    ] {
        let alg = seq(&[oid(scheme), seq(&[octets(&[1; 8]), int(3_000_000_000)])]);
        let key = write_key(tmp.path(), name, alg);
        refused(
            &mut issue_with_ca_key(tmp.path(), &key),
            &key,
            &["3000000000 iterations", "per key derivation"],
        );
    }
}

// ------------------------------------------------------------ PKCS#12 key derivation

fn convert_pfx(pfx: &Path, pw: &Path) -> assert_cmd::Command {
    let mut c = chainsmith();
    c.args(["convert", "--to", "pem"])
        .arg(pfx)
        .arg("--password-file")
        .arg(pw);
    c
}

#[test]
fn pkcs12_secret_bags_count_against_the_file_budget() {
    // The attack: 30 secret bags of 1,000,000 PBKDF2 iterations each, in
    // 4.4 KB, took 30 s: the old limit counted only key bags.
    let tmp = tempfile::tempdir().unwrap();
    let mut bags = vec![cert_bag(&std::fs::read(fixture("root.der")).unwrap())];
    bags.extend((0..30).map(|_| secret_bag(pbes2(pbkdf2(1_000_000)))));
    let file = tmp.path().join("secrets.p12");
    std::fs::write(&file, pfx(&bags)).unwrap();
    assert!(std::fs::metadata(&file).unwrap().len() < 8 * 1024);
    let pw = password_file(tmp.path());
    refused(
        &mut convert_pfx(&file, &pw),
        &file,
        &[
            "30000000 iterations in all",
            "limit of 4000000 per PKCS#12 file",
        ],
    );
    // Two such bags are within the budget: the certificate is read, the
    // secrets are never decrypted.
    let mut few = vec![cert_bag(&std::fs::read(fixture("root.der")).unwrap())];
    few.extend((0..2).map(|_| secret_bag(pbes2(pbkdf2(1_000_000)))));
    std::fs::write(&file, pfx(&few)).unwrap();
    let (code, err) = timed(
        convert_pfx(&file, &pw)
            .arg("-o")
            .arg(tmp.path().join("out.pem")),
    );
    assert_eq!(code, Some(0), "{err}");
    let (ok, subject) = openssl(
        tmp.path(),
        &["x509", "-in", "out.pem", "-noout", "-subject"],
    );
    let (_, want) = openssl(
        tmp.path(),
        &[
            "x509",
            "-in",
            fixture("root.crt").to_str().unwrap(),
            "-noout",
            "-subject",
        ],
    );
    assert!(ok && subject == want, "{subject} / {want}");
}

#[test]
fn a_pkcs12_scrypt_key_bag_is_refused_by_name() {
    // The attack: a scrypt key bag took over 20 s and 1 GB, and the error
    // then said "not PEM, DER, PKCS#7 or PKCS#12".
    let tmp = tempfile::tempdir().unwrap();
    let bags = [
        cert_bag(&std::fs::read(fixture("root.der")).unwrap()),
        shrouded_key_bag(pbes2(scrypt(1 << 20, 8, 1))),
    ];
    let file = tmp.path().join("scrypt.p12");
    std::fs::write(&file, pfx(&bags)).unwrap();
    let pw = password_file(tmp.path());
    let line = refused(
        &mut convert_pfx(&file, &pw),
        &file,
        &["scrypt", "limit of 67108864 bytes"],
    );
    assert!(!line.contains("not PEM, DER"), "{line}");
    // `lint` reports it as CS101, with a fix that fits: fewer iterations,
    // not `-legacy` (which is for RC2 files).
    let started = Instant::now();
    let out = chainsmith()
        .args(["lint", "--no-config", "--format", "json", "--password-file"])
        .arg(&pw)
        .arg(&file)
        .output()
        .unwrap();
    assert!(started.elapsed() < BOUND);
    assert_eq!(out.status.code(), Some(1));
    let cs101 = findings_of(&out.stdout, "CS101");
    assert_eq!(cs101.len(), 1, "{cs101:?}");
    let fix = cs101[0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("-iter 2048") && !fix.contains("-legacy"),
        "{fix}"
    );
    let message = cs101[0]["message"].as_str().unwrap();
    assert!(message.contains("limit of 67108864 bytes"), "{message}");
}

#[test]
fn a_pkcs12_mac_of_two_billion_iterations_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut file_der = pfx(&[cert_bag(&std::fs::read(fixture("root.der")).unwrap())]);
    // Append MacData (sha1, a filler digest) with 2^31-1 iterations, and
    // fix the outer length: rebuild the PFX with three fields.
    let mac = seq(&[
        seq(&[
            seq(&[oid("1.3.14.3.2.26"), tlv(0x05, &[])]),
            octets(&[0; 20]),
        ]),
        octets(&[1; 8]),
        int(2_147_483_647),
    ]);
    let inner_start = if file_der[1] & 0x80 != 0 {
        2 + (file_der[1] & 0x7f) as usize
    } else {
        2
    };
    let mut body = file_der.split_off(inner_start);
    body.extend(mac);
    let file = tmp.path().join("mac.p12");
    std::fs::write(&file, tlv(0x30, &body)).unwrap();
    refused(
        &mut convert_pfx(&file, &password_file(tmp.path())),
        &file,
        &["2147483647 iterations", "per key derivation"],
    );
}

// ------------------------------------------------------------ GnuTLS and .NET

/// certtool's default PFX: PBES2 bags and a MAC of 600,000 iterations.
fn gnutls_pfx(dir: &Path) -> Option<PathBuf> {
    if !have("certtool") || !have("openssl") {
        return None;
    }
    openssl_self_signed(dir, "k.pem", "c.pem", "/CN=gnutls.example", 30, &[]);
    std::fs::write(
        dir.join("tmpl"),
        "pkcs12_key_name = \"k\"\npassword = \"pw\"\n",
    )
    .unwrap();
    let (ok, out) = run(std::process::Command::new("certtool")
        .current_dir(dir)
        .args([
            "--to-p12",
            "--load-certificate",
            "c.pem",
            "--load-privkey",
            "k.pem",
            "--template",
            "tmpl",
            "--outder",
            "--outfile",
            "g.p12",
        ]));
    assert!(ok, "{out}");
    // The premise, from an outside tool: 600,000 MAC iterations.
    let (ok, info) = openssl(
        dir,
        &[
            "pkcs12", "-info", "-noout", "-in", "g.p12", "-passin", "pass:pw",
        ],
    );
    assert!(
        ok && info.contains("MAC: sha256, Iteration 600000"),
        "{info}"
    );
    Some(dir.join("g.p12"))
}

#[test]
fn a_gnutls_pfx_opens_and_cs406_warns_about_dotnet() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(pfx) = gnutls_pfx(tmp.path()) else {
        return;
    };
    let pw = password_file(tmp.path());
    let mut cmd = chainsmith();
    cmd.args(["convert", "--to", "pem", "--with-key", "-o"])
        .arg(tmp.path().join("back.pem"))
        .arg("--password-file")
        .arg(&pw)
        .arg(&pfx);
    let (code, err) = timed(&mut cmd);
    assert_eq!(code, Some(0), "{err}");
    // The certificate and key that went in came out (openssl compares).
    let fingerprint = |file: &str| {
        openssl_ok(
            tmp.path(),
            &["x509", "-in", file, "-noout", "-fingerprint", "-sha256"],
        )
    };
    assert_eq!(fingerprint("back.pem"), fingerprint("c.pem"));
    let pubkey = |file: &str| openssl(tmp.path(), &["pkey", "-in", file, "-pubout"]).1;
    assert_eq!(pubkey("back.key"), pubkey("k.pem"));
    // CS406 with and without the password; exit 1 with --fail-on warning.
    for with_password in [false, true] {
        let mut cmd = lint().format("json").flag("--fail-on", "warning").arg(&pfx);
        if with_password {
            cmd = cmd.flag("--password-file", &pw);
        }
        let out = cmd.output();
        assert_eq!(out.status.code(), Some(1));
        let cs406 = findings_of(&out.stdout, "CS406");
        assert_eq!(cs406.len(), 1, "{with_password}: {cs406:?}");
        assert_eq!(cs406[0]["severity"], "warning");
        let message = cs406[0]["message"].as_str().unwrap();
        assert!(
            message.contains("the MAC uses 600000 iterations"),
            "{message}"
        );
    }
}

#[test]
fn cs406_follows_openssl_iteration_counts() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let pw = password_file(tmp.path());
    let passout = format!("file:{}", pw.display());
    for (iter, expect_warning) in [("2048", false), ("300000", false), ("300001", true)] {
        let out = format!("{iter}.p12");
        openssl_certs_pfx(tmp.path(), "root.crt", &passout, &out, &["-iter", iter]);
        // OpenSSL 3 uses -iter for the MAC as well (-maciter is a no-op).
        let (_, info) = openssl(
            tmp.path(),
            &[
                "pkcs12", "-info", "-noout", "-in", &out, "-passin", &passout,
            ],
        );
        assert!(info.contains(&format!("Iteration {iter}")), "{info}");
        let lint = chainsmith()
            .args(["lint", "--no-config", "--format", "json", "--password-file"])
            .arg(&pw)
            .arg(tmp.path().join(&out))
            .output()
            .unwrap();
        let cs406 = findings_of(&lint.stdout, "CS406");
        assert_eq!(!cs406.is_empty(), expect_warning, "{iter}: {cs406:?}");
    }
}

// ------------------------------------------------------------ sizes

#[test]
fn passwords_from_dev_zero_a_fifo_or_the_environment_stop_at_the_limit() {
    let pfx = corpus("pyca/pkcs12/cert-key-aes256cbc.p12");
    // --password-file /dev/zero grew past 2 GB.
    let zero = Path::new("/dev/zero");
    refused(
        chainsmith()
            .args(["convert", "--to", "pem", "--password-file"])
            .arg(zero)
            .arg(&pfx),
        zero,
        &["over the limit of 4096 bytes"],
    );
    // --password-stdin </dev/zero aborted.
    let started = Instant::now();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("chainsmith"))
        .args(["convert", "--to", "pem", "--password-stdin"])
        .arg(&pfx)
        .stdin(std::fs::File::open(zero).unwrap())
        .output()
        .unwrap();
    assert!(started.elapsed() < BOUND);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("standard input") && err.contains("limit of 4096 bytes"),
        "{err}"
    );
    // A FIFO whose writer never sends a newline.
    if have("mkfifo") {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("pw.fifo");
        mkfifo(&fifo);
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
                // Until the reader goes away (EPIPE), or 64 MiB.
                for _ in 0..1024 {
                    if f.write_all(&[b'a'; 65536]).is_err() {
                        return;
                    }
                }
            })
        };
        refused(
            chainsmith()
                .args(["convert", "--to", "pem", "--password-file"])
                .arg(&fifo)
                .arg(&pfx),
            &fifo,
            &["limit of 4096 bytes"],
        );
        writer.join().unwrap();
    }
    // The environment (100 KB: under the kernel's 128 KiB per string).
    let (code, err) = timed(
        chainsmith()
            .args(["convert", "--to", "pem", "--password-env", "CS_BIG_PW"])
            .env("CS_BIG_PW", "x".repeat(100_000))
            .arg(&pfx),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("CS_BIG_PW") && err.contains("limit of 4096 bytes"),
        "{err}"
    );
    assert!(err.len() < 300, "{err}");
    // A password of exactly the limit is fine (wrong, but read).
    let tmp = tempfile::tempdir().unwrap();
    let long = tmp.path().join("long");
    std::fs::write(&long, format!("{}\r\n", "x".repeat(4096))).unwrap();
    let (code, err) = timed(
        chainsmith()
            .args(["convert", "--to", "pem", "--password-file"])
            .arg(&long)
            .arg(&pfx),
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("wrong password"), "{err}");
}

#[test]
fn key_files_are_read_up_to_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    // `--ca-key /dev/zero` and `issue --key /dev/zero` grew without bound.
    let zero = Path::new("/dev/zero");
    refused(
        &mut issue_with_ca_key(tmp.path(), zero),
        zero,
        &["the key file is over the limit of 1048576 bytes"],
    );
    let mut cmd = issue_with_key(tmp.path(), zero).command();
    refused(
        &mut cmd,
        zero,
        &["the key file is over the limit of 1048576 bytes"],
    );
    // A 2 MB regular key file is refused before it is read.
    let big = tmp.path().join("big.key");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 * 1024 * 1024)
        .unwrap();
    refused(
        &mut issue_with_ca_key(tmp.path(), &big),
        &big,
        &["limit of 1048576 bytes"],
    );
    assert!(!tmp.path().join("out").exists());
}

fn lint_with_config(config: &Path) -> assert_cmd::Command {
    let mut c = chainsmith();
    c.args(["lint", "--config"])
        .arg(config)
        .arg(fixture("root.crt"));
    c
}

#[test]
fn configuration_files_are_bounded_in_size_and_entries() {
    let tmp = tempfile::tempdir().unwrap();
    // The attack: 6.5 MB with 300,000 globs took 20-29 s and 2.3 GB.
    let big = tmp.path().join("big.toml");
    let globs: Vec<String> = (0..300_000)
        .map(|i| format!("\"vendor/dir{i:06}/**\""))
        .collect();
    std::fs::write(&big, format!("ignore = [{}]\n", globs.join(", "))).unwrap();
    assert!(std::fs::metadata(&big).unwrap().len() > 6_000_000);
    refused(
        &mut lint_with_config(&big),
        &big,
        &["the configuration file is over the limit of 262144 bytes"],
    );
    let zero = Path::new("/dev/zero");
    refused(
        &mut lint_with_config(zero),
        zero,
        &["limit of 262144 bytes"],
    );
    // Small, but too many entries: refused before any glob is compiled.
    let many = tmp.path().join("many.toml");
    let globs: Vec<String> = (0..1001).map(|i| format!("\"d{i}\"")).collect();
    std::fs::write(&many, format!("ignore = [{}]\n", globs.join(","))).unwrap();
    refused(
        &mut lint_with_config(&many),
        &many,
        &["1001 rule keys and globs are over the limit of 1000"],
    );
    // 1,000 entries are fine.
    let ok = tmp.path().join("ok.toml");
    let globs: Vec<String> = (0..1000).map(|i| format!("\"d{i}/**\"")).collect();
    std::fs::write(&ok, format!("ignore = [{}]\n", globs.join(","))).unwrap();
    let (code, err) = timed(&mut lint_with_config(&ok));
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn echoed_config_values_are_cut_and_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    // The attack echoed a 20 MB rule key on one line. Under the size limit,
    // 200 KB with a terminal escape in it.
    let cfg = tmp.path().join("unknown.toml");
    std::fs::write(
        &cfg,
        format!("allow = [\"\\u001b[31m{}\"]\n", "A".repeat(200_000)),
    )
    .unwrap();
    let line = refused(&mut lint_with_config(&cfg), &cfg, &["unknown rule", "…"]);
    assert!(line.len() < 400, "{} chars", line.len());
    assert!(
        line.contains("\\u{1b}[31m") && !line.contains('\u{1b}'),
        "{line}"
    );
    // An unknown key of 200 KB: the TOML error is cut the same way.
    std::fs::write(&cfg, format!("{} = 1\n", "K".repeat(200_000))).unwrap();
    let line = refused(&mut lint_with_config(&cfg), &cfg, &["unknown field", "…"]);
    assert!(line.len() < 400, "{} chars", line.len());
}

// ------------------------------------------------------------ element counts

#[test]
fn binary_inputs_stop_at_the_element_limit() {
    // 32 MiB of two-byte empty SEQUENCEs took 3 minutes and 10 GB in `lint`.
    let tmp = tempfile::tempdir().unwrap();
    let der = tmp.path().join("many.der");
    std::fs::write(&der, [0x30u8, 0x00].repeat(16 * 1024 * 1024 - 16)).unwrap();
    let mut cmd = chainsmith();
    cmd.args(["lint", "--no-config"]).arg(&der);
    let started = Instant::now();
    let out = cmd.output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("more than 50000 DER elements; the rest was not read"),
        "{}",
        &text[text.len().saturating_sub(500)..]
    );
    // A PKCS#7 set of as many is cut the same way.
    let certs = tlv(0xa0, &[0x30u8, 0x00].repeat(4 * 1024 * 1024));
    let signed = seq(&[
        int(1),
        tlv(0x31, &[]),
        seq(&[oid(DATA)]),
        certs,
        tlv(0x31, &[]),
    ]);
    let p7 = tmp.path().join("many.p7b");
    std::fs::write(&p7, seq(&[oid("1.2.840.113549.1.7.2"), tlv(0xa0, &signed)])).unwrap();
    let started = Instant::now();
    let out = chainsmith()
        .args(["lint", "--no-config"])
        .arg(&p7)
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("more than 50000 certificates in the PKCS#7; the rest was not read")
    );
    // And a PKCS#12 of a million empty safes is refused.
    let empty_safe = seq(&[oid(DATA), tlv(0xa0, &octets(&[]))]);
    let auth_safe = tlv(0x30, &empty_safe.repeat(1_000_000));
    let p12 = tmp.path().join("many.p12");
    std::fs::write(
        &p12,
        seq(&[int(3), seq(&[oid(DATA), tlv(0xa0, &octets(&auth_safe))])]),
    )
    .unwrap();
    refused(
        &mut convert_pfx(&p12, &password_file(tmp.path())),
        &p12,
        &["more than 50000 safes and bags"],
    );
}
