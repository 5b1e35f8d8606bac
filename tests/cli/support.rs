//! Shared helpers: a scrubbed `chainsmith` command, fixture and corpus paths,
//! and external tools that must exist under CI.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

/// `chainsmith` with an environment that cannot leak into results.
pub fn chainsmith() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("chainsmith").unwrap();
    for var in [
        "NO_COLOR",
        "CI",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/NAME`, made by `fixtures/make.sh` with openssl.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

/// `tests/corpus/NAME`: vendored material nobody here wrote (see its README).
pub fn corpus(name: &str) -> PathBuf {
    repo().join("tests").join("corpus").join(name)
}

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Is an external tool available? Missing tools skip a test loudly on a
/// laptop, and fail it under CI, where `.ci/run` installs them.
pub fn have(tool: &str) -> bool {
    let found = StdCommand::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        cannot_run(&format!("{tool} is not installed (.ci/run installs it)"));
    }
    found
}

/// A test that cannot run here: under `CI=true` that is a failure (skipped is
/// not passed); on a laptop it says so loudly and the caller returns.
pub fn cannot_run(why: &str) {
    assert!(!under_ci(), "this test cannot run under CI=true: {why}");
    eprintln!("\n!!! SKIPPED (allowed outside CI only): {why}; this test did not run !!!\n");
}

/// Run a command, returning (success, stdout+stderr).
pub fn run(cmd: &mut StdCommand) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// `openssl ARGS...` in `dir`.
pub fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    run(StdCommand::new("openssl").current_dir(dir).args(args))
}

/// A chain made by `chainsmith generate` in `dir/chain`.
pub fn generate_chain(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("chain");
    generate()
        .san("www.example.com")
        .san("127.0.0.1")
        .out(&out)
        .args(extra)
        .assert()
        .success();
    out
}

/// A server process started by a test, killed and reaped on drop.
pub struct KillOnDrop(pub std::process::Child);

impl KillOnDrop {
    /// Wait, at most 10 s, until `child` (`what`, for messages) listens on
    /// 127.0.0.1:`port`. It is killed on every path out, a failed wait
    /// included, and a child that exits first fails at once with its
    /// standard error when that was piped.
    pub fn listening(child: std::process::Child, port: u16, what: &str) -> KillOnDrop {
        use std::io::Read as _;
        let mut guard = KillOnDrop(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = guard.0.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = guard.0.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("{what} exited ({status}) before listening on 127.0.0.1:{port}: {err}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what} did not listen on 127.0.0.1:{port} within 10 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        guard
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A throwaway nginx serving HTTPS on 127.0.0.1, stopped on drop.
pub struct Nginx {
    child: KillOnDrop,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Start nginx with `chain` as `ssl_certificate` and `key` as its key.
    /// None when nginx is missing on a laptop (and a loud skip message);
    /// under CI a missing nginx fails the test.
    pub fn start(chain: &Path, key: &Path) -> Option<Nginx> {
        Nginx::start_with(chain, key, "", &[])
    }

    fn wait_listening(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.0.try_wait() {
                let log =
                    std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default();
                panic!("nginx exited with {status}: {log}");
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!(
            "nginx did not listen on 127.0.0.1:{} within 10 s",
            self.port
        );
    }

    /// Serve new files and reload, as an operator would after a rotation.
    pub fn reload(&mut self, chain: &Path, key: &Path) {
        std::fs::copy(chain, self.dir.path().join("chain.pem")).unwrap();
        std::fs::copy(key, self.dir.path().join("key.pem")).unwrap();
        let (ok, out) = run(StdCommand::new("nginx")
            .arg("-p")
            .arg(self.dir.path())
            .arg("-c")
            .arg(self.dir.path().join("nginx.conf"))
            .args(["-s", "reload"]));
        assert!(ok, "nginx reload failed: {out}");
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn is_root() -> bool {
    StdCommand::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `curl` to https://NAME:PORT/ resolved to 127.0.0.1, trusting `cacert`.
pub fn curl_ok(name: &str, port: u16, cacert: &Path) -> (bool, String) {
    run(StdCommand::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(cacert)
        .arg("--resolve")
        .arg(format!("{name}:{port}:127.0.0.1"))
        .arg(format!("https://{name}:{port}/")))
}

/// The validation time tests pin with `--at`: after the fixtures were made
/// (2026-11-22; they are valid for 100 years), so verdicts do not drift with
/// the clock.
pub const AT: &str = "2026-12-01T00:00:00Z";

/// One way to build a `chainsmith` command line (as zizmor's
/// `tests/integration/common.rs` does): start from [`generate`], [`issue`],
/// [`issue_by_chain`], [`convert`] or [`lint`], add flags one at a time, then
/// `.assert()` or `.output()`. The order of flags does not matter to chainsmith.
pub struct Invocation {
    cmd: assert_cmd::Command,
}

impl Invocation {
    pub fn new(subcommand: &str) -> Self {
        let mut cmd = chainsmith();
        cmd.arg(subcommand);
        Invocation { cmd }
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// `NAME VALUE`, e.g. `.flag("--renew", &old)`.
    pub fn flag(self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.arg(name).arg(value)
    }

    /// `-o DIR` (or FILE).
    pub fn out(self, path: impl AsRef<std::ffi::OsStr>) -> Self {
        self.flag("-o", path)
    }

    /// `--san NAME`.
    pub fn san(self, name: &str) -> Self {
        self.flag("--san", name)
    }

    /// `--key FILE`.
    pub fn key(self, path: impl AsRef<std::ffi::OsStr>) -> Self {
        self.flag("--key", path)
    }

    /// `issue --renew CERT`.
    pub fn renew(self, cert: impl AsRef<std::ffi::OsStr>) -> Self {
        self.flag("--renew", cert)
    }

    /// `--at TIME`.
    pub fn at(self, time: &str) -> Self {
        self.flag("--at", time)
    }

    /// `--format FORMAT`.
    pub fn format(self, format: &str) -> Self {
        self.flag("--format", format)
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn write_stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.cmd.write_stdin(input);
        self
    }

    pub fn assert(mut self) -> assert_cmd::assert::Assert {
        self.cmd.assert()
    }

    pub fn output(mut self) -> std::process::Output {
        self.cmd.output().unwrap()
    }

    /// The command, for what the builder does not cover.
    pub fn command(self) -> assert_cmd::Command {
        self.cmd
    }
}

/// `chainsmith generate`.
pub fn generate() -> Invocation {
    Invocation::new("generate")
}

/// `chainsmith issue --ca CA --ca-key KEY`.
pub fn issue(ca: impl AsRef<Path>, ca_key: impl AsRef<Path>) -> Invocation {
    Invocation::new("issue")
        .flag("--ca", ca.as_ref())
        .flag("--ca-key", ca_key.as_ref())
}

/// `chainsmith issue` by the intermediate CA of a `generate` output directory.
pub fn issue_by_chain(chain: &Path) -> Invocation {
    issue(
        chain.join("intermediate.crt"),
        chain.join("intermediate.key"),
    )
}

/// `chainsmith convert --to TO`.
pub fn convert(to: &str) -> Invocation {
    Invocation::new("convert").flag("--to", to)
}

/// `chainsmith lint --no-config`.
pub fn lint() -> Invocation {
    Invocation::new("lint").arg("--no-config")
}

/// `chainsmith lint --no-config --format json --at AT ARGS` run in `dir`:
/// the exit code and the parsed report.
pub fn lint_json_in(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = lint()
        .format("json")
        .at(AT)
        .args(args)
        .current_dir(dir)
        .output();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

/// [`lint_json_in`] the repository root (where `fixtures/` is).
pub fn lint_json(args: &[&str]) -> (i32, serde_json::Value) {
    lint_json_in(&repo(), args)
}

/// The rule codes of a JSON lint report's findings, in order.
pub fn codes(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

/// `-addext` arguments that make an `openssl req -x509` certificate a CA.
pub const OPENSSL_CA_EXTS: &[&str] = &[
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
];

/// `openssl req -x509` in `dir`: a self-signed P-256 certificate written to
/// `out`, its key to `key`, with subject `subj`, valid for `days`, and
/// `extra` arguments (e.g. [`OPENSSL_CA_EXTS`]). Fails the test with
/// openssl's output when openssl fails.
pub fn openssl_self_signed(
    dir: &Path,
    key: &str,
    out: &str,
    subj: &str,
    days: u32,
    extra: &[&str],
) {
    let days = days.to_string();
    let mut args = vec!["req", "-x509"];
    args.extend_from_slice(OPENSSL_NEW_P256);
    args.extend_from_slice(&["-keyout", key, "-out", out, "-subj", subj, "-days", &days]);
    args.extend_from_slice(extra);
    let (ok, text) = openssl(dir, &args);
    assert!(ok, "openssl {args:?}: {text}");
}

impl Nginx {
    /// As [`Nginx::start`], with `extra` directives added to the server
    /// block (`{dir}` in them is replaced by nginx's directory) and `files`
    /// copied into that directory under their names, before nginx starts.
    pub fn start_with(
        chain: &Path,
        key: &Path,
        extra: &str,
        files: &[(&str, &Path)],
    ) -> Option<Nginx> {
        if !have("nginx") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        std::fs::copy(chain, dir.path().join("chain.pem")).unwrap();
        std::fs::copy(key, dir.path().join("key.pem")).unwrap();
        for (name, from) in files {
            let to = dir.path().join(name);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::copy(from, to).unwrap();
        }
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        let d = dir.path().display();
        let extra = extra.replace("{dir}", &d.to_string());
        let user = if is_root() { "user root;\n" } else { "" };
        let conf = format!(
            "{user}daemon off;\nmaster_process on;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n  fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n\
               server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name _;\n    ssl_certificate {d}/chain.pem;\n    ssl_certificate_key {d}/key.pem;\n    {extra}\n    location / {{ return 200 \"ok\\n\"; }}\n  }}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = StdCommand::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cannot start nginx");
        let mut ng = Nginx {
            child: KillOnDrop(child),
            port,
            dir,
        };
        ng.wait_listening();
        Some(ng)
    }

    /// nginx's error.log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

/// A throwaway `openssl s_server` on 127.0.0.1 with `args` added, killed on drop.
pub struct SServer {
    _child: KillOnDrop,
    pub port: u16,
}

impl SServer {
    /// None (after a loud skip) when openssl is missing outside CI.
    pub fn start(dir: &Path, args: &[&str]) -> Option<SServer> {
        if !have("openssl") {
            return None;
        }
        let port = free_port();
        let child = StdCommand::new("openssl")
            .current_dir(dir)
            .arg("s_server")
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cannot start openssl s_server");
        Some(SServer {
            _child: KillOnDrop::listening(child, port, "openssl s_server"),
            port,
        })
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// A CA made by openssl in `dir`: `NAME.crt` and `NAME.key` (EC P-256), subject `CN=CN`.
pub fn openssl_ca(dir: &Path, name: &str, cn: &str) {
    openssl_self_signed(
        dir,
        &format!("{name}.key"),
        &format!("{name}.crt"),
        &format!("/CN={cn}"),
        30,
        &[],
    );
}

/// A TLS client certificate made by openssl in `dir`, issued by the CA
/// `ca` (see [`openssl_ca`]): `NAME.crt`, `NAME.key`, with clientAuth.
pub fn openssl_client_cert(dir: &Path, ca: &str, name: &str, cn: &str) {
    openssl_p256_csr(
        dir,
        &format!("{name}.key"),
        &format!("{name}.csr"),
        &format!("/CN={cn}"),
    );
    let ext = format!("{name}.ext");
    std::fs::write(dir.join(&ext), "extendedKeyUsage=clientAuth\n").unwrap();
    openssl_sign_csr(dir, name, ca, ca, &["-days", "30", "-extfile", &ext]);
}

/// Can Python's `cryptography` run here? False (with a loud skip, a
/// failure under CI) when python3 or the module is missing.
pub fn have_pyca() -> bool {
    if !have("python3") {
        return false;
    }
    let (ok, msg) = run(StdCommand::new("python3").args(["-c", "import cryptography"]));
    if !ok {
        cannot_run(&format!(
            "python3 cannot import cryptography (.ci/run installs it): {msg}"
        ));
    }
    ok
}

/// `openssl req` arguments for a new unencrypted P-256 key.
pub const OPENSSL_NEW_P256: &[&str] = &[
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
];

/// `openssl req` in `dir`: a new P-256 key written to `key` and a CSR for
/// it with subject `subj` written to `out`. Fails the test with openssl's
/// output when openssl fails.
pub fn openssl_p256_csr(dir: &Path, key: &str, out: &str, subj: &str) {
    let mut args = vec!["req"];
    args.extend_from_slice(OPENSSL_NEW_P256);
    args.extend_from_slice(&["-keyout", key, "-out", out, "-subj", subj]);
    let (ok, text) = openssl(dir, &args);
    assert!(ok, "openssl {args:?}: {text}");
}

/// A fresh temporary directory for a test that needs every one of `tools`;
/// None (after a loud skip, a failure under CI) when one is missing.
pub fn tempdir_with(tools: &[&str]) -> Option<tempfile::TempDir> {
    if tools.iter().all(|t| have(t)) {
        Some(tempfile::tempdir().unwrap())
    } else {
        None
    }
}

/// `openssl ARGS...` in `dir`, which must succeed: its output.
pub fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = openssl(dir, args);
    assert!(ok, "openssl {args:?}: {text}");
    text
}

/// `openssl pkcs12 -export` in `dir`: the `server.crt` fixture with its key
/// and `intermediate.crt`, protected by `passout` (an openssl `-passout`
/// value), written to `out`, with `extra` arguments (e.g. `-legacy`).
pub fn openssl_server_pfx(dir: &Path, passout: &str, out: &str, extra: &[&str]) {
    let (cert, key, chain) = (
        fixture("server.crt"),
        fixture("server.key"),
        fixture("intermediate.crt"),
    );
    let mut args = vec!["pkcs12", "-export"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[
        "-in",
        cert.to_str().unwrap(),
        "-inkey",
        key.to_str().unwrap(),
        "-certfile",
        chain.to_str().unwrap(),
        "-passout",
        passout,
        "-out",
        out,
    ]);
    openssl_ok(dir, &args);
}

/// Run a Python script in `dir`, which must succeed: its stdout.
pub fn py(dir: &Path, script: &str) -> String {
    let out = StdCommand::new("python3")
        .current_dir(dir)
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The names in `dir`, sorted (none when it does not exist).
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `openssl verify -CAfile ca -untrusted untrusted cert` in `dir`:
/// (verified, what openssl said).
pub fn openssl_verify(dir: &Path, ca: &str, untrusted: &str, cert: &str) -> (bool, String) {
    openssl(
        dir,
        &["verify", "-CAfile", ca, "-untrusted", untrusted, cert],
    )
}

/// `openssl x509 -req` in `dir`: `NAME.csr` signed by the CA `CA.crt` with
/// the key `CA_KEY.key` into `NAME.crt`, with `extra` arguments (-days,
/// -extfile, ...). Fails the test with openssl's output when openssl fails.
pub fn openssl_sign_csr(dir: &Path, name: &str, ca: &str, ca_key: &str, extra: &[&str]) {
    let (csr, crt) = (format!("{name}.csr"), format!("{name}.crt"));
    let (ca, ca_key) = (format!("{ca}.crt"), format!("{ca_key}.key"));
    let mut args = vec!["x509", "-req", "-in", &csr, "-CA", &ca, "-CAkey", &ca_key];
    args.extend_from_slice(&["-out", &crt]);
    args.extend_from_slice(extra);
    let (ok, text) = openssl(dir, &args);
    assert!(ok, "openssl {args:?}: {text}");
}

/// `count` self-signed CA certificates made by openssl in `dir` (`caI.pem`,
/// `CN=CA I`, all with the key `k.pem`): their PEM texts, in order.
pub fn openssl_self_signed_cas(dir: &Path, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let name = format!("ca{i}.pem");
            let subject = format!("/CN=CA {i}");
            openssl_self_signed(dir, "k.pem", &name, &subject, 30, OPENSSL_CA_EXTS);
            std::fs::read_to_string(dir.join(&name)).unwrap()
        })
        .collect()
}

/// Run the bash `script` (relative to `dir`, checked with `bash -n` first)
/// with `args` in `dir`, against a stand-in `az` on PATH that logs its
/// arguments, one call a line: the log.
pub fn run_with_fake_az(dir: &Path, script: &str, args: &[&str]) -> String {
    let (ok, syntax) = run(StdCommand::new("bash").arg("-n").arg(dir.join(script)));
    assert!(ok, "{syntax}");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("az"),
        "#!/bin/sh\nif [ \"$1\" = cloud ]; then echo AzureCloud; exit 0; fi\n\
         for a in \"$@\"; do case \"$a\" in @*) test -s \"${a#@}\" || exit 9;; esac; done\n\
         echo \"$*\" >> \"$AZ_LOG\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("az"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let log = dir.join("az.log");
    let (ok, said) = run(StdCommand::new("bash")
        .current_dir(dir)
        .env("PATH", &path)
        .env("AZ_LOG", &log)
        .arg(script)
        .args(args));
    assert!(ok, "{said}");
    std::fs::read_to_string(&log).unwrap()
}

/// The string `field` of each object in the JSON array `array`.
pub fn field_of_each<'a>(array: &'a serde_json::Value, field: &str) -> Vec<&'a str> {
    array
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap())
        .collect()
}

/// How chainsmith refuses bad input: exit code 2 (1 is only for lint
/// findings), with the reason on stderr. `cmd.refused(needle)` runs the
/// command and asserts both, `needle` being what the reason must name (the
/// file, the flag, the limit); further `.stderr(...)` checks chain on.
pub trait Refused {
    fn refused(&mut self, needle: impl Into<String>) -> assert_cmd::assert::Assert;
}

impl Refused for assert_cmd::Command {
    fn refused(&mut self, needle: impl Into<String>) -> assert_cmd::assert::Assert {
        self.assert()
            .code(2)
            .stderr(predicates::str::contains(needle.into()))
    }
}

impl Invocation {
    /// [`Refused::refused`] for a builder.
    pub fn refused(mut self, needle: impl Into<String>) -> assert_cmd::assert::Assert {
        self.cmd.refused(needle)
    }
}

/// `openssl pkcs12 -export -nokeys` in `dir`: the certificates of the
/// fixture `name`, no key, protected by `passout` (an openssl `-passout`
/// value), written to `out`, with `extra` arguments (e.g. `-iter N`).
pub fn openssl_certs_pfx(dir: &Path, name: &str, passout: &str, out: &str, extra: &[&str]) {
    let input = fixture(name);
    let mut args = vec!["pkcs12", "-export", "-nokeys", "-in"];
    args.push(input.to_str().unwrap());
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-passout", passout, "-out", out]);
    openssl_ok(dir, &args);
}

/// Run a Python script with `input` on its standard input, which must
/// succeed: its stdout.
pub fn py_stdin(script: &str, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = StdCommand::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A FIFO at `path`, made by mkfifo(1); fails the test with its output
/// when mkfifo fails.
pub fn mkfifo(path: &Path) {
    let (ok, out) = run(StdCommand::new("mkfifo").arg(path));
    assert!(ok, "mkfifo {}: {out}", path.display());
}

/// `keytool -list` of the PKCS#12 keystore `store`, opened with
/// `password`: (opened, what keytool said).
pub fn keytool_list(store: &Path, password: &str) -> (bool, String) {
    run(StdCommand::new("keytool")
        .args(["-list", "-storetype", "PKCS12", "-storepass", password])
        .arg("-keystore")
        .arg(store))
}

impl Nginx {
    /// [`Nginx::start`] serving `served` (e.g. `server-fullchain.crt`) of
    /// the `generate` output directory `chain`, with its `server.key`.
    pub fn serving(chain: &Path, served: &str) -> Option<Nginx> {
        Nginx::start(&chain.join(served), &chain.join("server.key"))
    }
}

/// `openssl x509 -noout -ext NAMES` of the certificate `file` (relative to
/// `dir`): the extensions as openssl prints them, criticality included.
pub fn openssl_ext(dir: &Path, file: &str, names: &str) -> String {
    openssl_ok(dir, &["x509", "-in", file, "-noout", "-ext", names])
}
