//! `probe` against hostile servers, each a small Python server on
//! 127.0.0.1 that reads the ClientHello and then: sends 1,000 certificates
//! (a well-formed TLS 1.2 ServerHello and Certificate message), announces a
//! 16 MB certificate message and streams it, sends one byte a second,
//! closes mid-handshake, or answers in HTTP. Each ends within `--timeout`
//! with one line for that target, exit 2; all five in one run still give
//! one line each; and the run's peak memory (GNU time) stays bounded.
use std::io::BufRead;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

const SERVER: &str = r#"
import base64, socket, struct, sys, threading, time
mode, pem = sys.argv[1], sys.argv[2]
body = "".join(l for l in open(pem).read().splitlines() if "-----" not in l)
der = base64.b64decode(body)

def record(payload, kind=22):
    out = b""
    for i in range(0, len(payload), 16384):
        chunk = payload[i:i + 16384]
        out += struct.pack(">BHH", kind, 0x0303, len(chunk)) + chunk
    return out

def handshake(t, body):
    return struct.pack(">B", t) + struct.pack(">I", len(body))[1:] + body

def server_hello():
    ems = struct.pack(">HH", 0x0017, 0)   # extended_master_secret
    reneg = struct.pack(">HHB", 0xff01, 1, 0)
    exts = ems + reneg
    body = struct.pack(">H", 0x0303) + b"\x11" * 32 + b"\x00" + struct.pack(">HB", 0xC02B, 0)
    body += struct.pack(">H", len(exts)) + exts
    return handshake(2, body)

def certificates(n):
    one = struct.pack(">I", len(der))[1:] + der
    lst = one * n
    return handshake(11, struct.pack(">I", len(lst))[1:] + lst)

def serve(c):
    try:
        c.settimeout(5)
        c.recv(65536)                    # the ClientHello
        if mode == "certs1000":
            c.sendall(record(server_hello() + certificates(1000)))
        elif mode == "huge":
            size = 16 * 1024 * 1024 - 1
            head = record(server_hello()) + struct.pack(">BHH", 22, 0x0303, 16384)
            head += b"\x0b" + struct.pack(">I", size)[1:]
            c.sendall(head)
            chunk = b"\x00" * 65536
            for _ in range(256):
                c.sendall(chunk)
        elif mode == "trickle":
            data = record(server_hello() + certificates(3))
            for b in data[:30]:
                c.sendall(bytes([b]))
                time.sleep(1)
        elif mode == "midclose":
            data = record(server_hello() + certificates(1))
            c.sendall(data[: len(data) // 2])
        elif mode == "http":
            c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    finally:
        c.close()

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// A hostile server of `mode`, killed on drop.
struct Hostile {
    _child: KillOnDrop,
    port: u16,
}

impl Hostile {
    fn start(dir: &std::path::Path, mode: &str, pem: &std::path::Path) -> Hostile {
        let script = dir.join("hostile.py");
        std::fs::write(&script, SERVER).unwrap();
        let mut child = StdCommand::new("python3")
            .arg(&script)
            .arg(mode)
            .arg(pem)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("no port: {line:?}"));
        Hostile {
            _child: KillOnDrop(child),
            port,
        }
    }
    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

const MODES: [&str; 5] = ["certs1000", "huge", "trickle", "midclose", "http"];

#[test]
fn each_hostile_server_ends_within_the_timeout_with_one_line() {
    let Some(tmp) = tempdir_with(&["python3"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &[]);
    let pem = chain.join("intermediate.crt");
    for mode in MODES {
        let srv = Hostile::start(tmp.path(), mode, &pem);
        let t = Instant::now();
        let out = chainsmith()
            .args(["probe", &srv.addr(), "--timeout", "3"])
            .output()
            .unwrap();
        let took = t.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{mode}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{mode}: {stderr}");
        assert!(stderr.contains(&srv.addr()), "{mode}: {stderr}");
        // The timeout plus process start-up, generously.
        assert!(took < Duration::from_secs(6), "{mode} took {took:?}");
        if mode == "trickle" {
            assert!(stderr.contains("timed out after 3.0s"), "{stderr}");
        }
    }
}

#[test]
fn all_hostile_servers_in_one_run_give_one_line_each_in_bounded_memory() {
    if !have("python3") {
        return;
    }
    let gnu_time = std::path::Path::new("/usr/bin/time");
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let pem = chain.join("intermediate.crt");
    let servers: Vec<Hostile> = MODES
        .iter()
        .map(|m| Hostile::start(tmp.path(), m, &pem))
        .collect();
    let bin = assert_cmd::cargo::cargo_bin("chainsmith");
    let mut cmd = if gnu_time.exists() {
        let mut c = StdCommand::new(gnu_time);
        c.arg("-v").arg(&bin);
        c
    } else {
        cannot_run("/usr/bin/time (GNU time) is not installed; memory not measured");
        StdCommand::new(&bin)
    };
    cmd.arg("probe")
        .args(servers.iter().map(Hostile::addr))
        .args(["--timeout", "3", "--jobs", "5", "--format", "json"]);
    let t = Instant::now();
    let out = cmd.output().unwrap();
    let took = t.elapsed();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 5);
    for t in targets {
        assert!(t["error"].is_string(), "{t}");
    }
    assert_eq!(v["errors"].as_array().unwrap().len(), 5, "{v}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
    assert_eq!(errors, 5, "{stderr}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    if let Some(kb) = stderr.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Maximum resident set size (kbytes): ")
    }) {
        let kb: u64 = kb.trim().parse().unwrap();
        eprintln!("probe of 5 hostile servers: {took:?}, max RSS {kb} KiB");
        assert!(kb < 100 * 1024, "max RSS {kb} KiB");
    }
}
