#!/usr/bin/env python3
"""Differential client harness: what do REAL TLS clients say about each scenario?

    python3 tests/clients/run_clients.py SCENARIO_DIR... --json OUT.json
        [--markdown OUT.md] [--update-doc docs/clients.md] [--keep]

For every scenario directory (made by tests/clients/scenarios.py) one
`openssl s_server -www` on 127.0.0.1 serves served.pem exactly as written
(first certificate via -cert, the rest via -cert_chain, in order, duplicates
kept; checked on the wire with `openssl s_client -showcerts` before any
client runs). Then every client below connects to every scenario, trusting
only the scenario's trust.pem and asking for its host:

    s_client       openssl s_client -verify_return_error -CAfile   model openssl
    python         ssl.create_default_context(cafile=...)           model openssl
    python-strict  the same with VERIFY_X509_STRICT                 model openssl-strict
    curl           curl --cacert ... --resolve                      model curl
    go             tests/clients/goclient (crypto/tls, RootCAs)     model go
    java           tests/clients/JavaClient.java (keytool PKCS#12)  model java
    nginx          proxy_ssl_verify on; proxy_ssl_trusted_certificate  model openssl

Nothing here uses chainsmith. Every connection has a 10 s bound and the
whole run an overall bound; everything started is stopped on the way out
(process groups, also on errors and on SIGTERM/SIGINT). A client failing
for a reason that is not a verdict (refused, timed out) is a harness error
(exit 1), never a silent "not trusted".
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
CONNECT_TIMEOUT = 10  # seconds, per connection
OVERALL_TIMEOUT = 150  # seconds, the whole run
CLIENTS = [
    ("s_client", "openssl"),
    ("python", "openssl"),
    ("python-strict", "openssl-strict"),
    ("curl", "curl"),
    ("go", "go"),
    ("java", "java"),
    ("nginx", "nginx"),
]
MATRIX_START = "<!-- matrix:start -->"
MATRIX_END = "<!-- matrix:end -->"
STOREPASS = "changeit"
# Settings that would change a client's verdict behind our back.
SCRUB_ENV = [
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "OPENSSL_CONF",
    "GODEBUG",
    "JAVA_TOOL_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "_JAVA_OPTIONS",
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
]


class HarnessError(Exception):
    """The harness could not measure something; not a client verdict."""


@dataclass
class Scenario:
    dir: str
    id: str
    description: str
    host: str
    served: list  # DER of each served certificate, in order
    served_pem: list  # the same as PEM text
    port: int = 0

    @property
    def trust(self) -> str:
        return os.path.join(self.dir, "trust.pem")

    @property
    def key(self) -> str:
        return os.path.join(self.dir, "key.pem")

    @property
    def is_ip(self) -> bool:
        try:
            socket.inet_pton(socket.AF_INET, self.host)
            return True
        except OSError:
            return False


PEM_RE = re.compile(
    r"-----BEGIN CERTIFICATE-----\r?\n.*?-----END CERTIFICATE-----", re.DOTALL
)


def split_pem(text: str) -> list:
    return PEM_RE.findall(text)


def load_scenario(d: str) -> Scenario:
    try:
        with open(os.path.join(d, "scenario.json"), encoding="utf-8") as f:
            meta = json.load(f)
        with open(os.path.join(d, "served.pem"), encoding="ascii") as f:
            pems = split_pem(f.read())
    except (OSError, ValueError) as e:
        raise HarnessError(f"{d}: not a scenario directory: {e}") from e
    if not pems:
        raise HarnessError(f"{d}/served.pem: no certificate")
    if meta.get("at") is not None:
        raise HarnessError(f"{d}: pins 'at'; the real clients only know the real clock")
    return Scenario(
        dir=os.path.abspath(d),
        id=meta["id"],
        description=meta.get("description", ""),
        host=meta["host"],
        served=[ssl.PEM_cert_to_DER_cert(p) for p in pems],
        served_pem=pems,
    )


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds
        self.seconds = seconds
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the run: every later left() raises, and every client process
        still running is killed."""
        self.cancelled = True
        with _LIVE_LOCK:
            live = list(_LIVE)
        for p in live:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def left(self, cap: float | None = None) -> float:
        if self.cancelled:
            raise HarnessError("the run was stopped")
        left = self.end - time.monotonic()
        if left <= 0:
            raise HarnessError(f"the run exceeded its overall bound of {self.seconds:.0f} s")
        return left if cap is None else min(left, cap)


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB_ENV}
    env.update(extra or {})
    return env


# Client processes running now, so that a stopped run can kill them at once.
_LIVE: set = set()
_LIVE_LOCK = threading.Lock()


def run(cmd: list, timeout: float, env: dict | None = None, stdin=subprocess.DEVNULL, cwd=None):
    """(returncode, stdout, stderr); the whole process group dies on timeout."""
    p = subprocess.Popen(
        cmd,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env if env is not None else clean_env(),
        cwd=cwd,
        start_new_session=True,
        text=True,
        errors="replace",
    )
    with _LIVE_LOCK:
        _LIVE.add(p)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(p)
        raise HarnessError(f"{' '.join(cmd[:3])}... did not finish within {timeout:.0f} s")
    except BaseException:
        kill_group(p)
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(p)
    return p.returncode, out, err


def kill_group(p: subprocess.Popen) -> None:
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    for stream in (p.stdout, p.stderr, p.stdin):
        if stream is not None:
            stream.close()


def short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the servers -------------------------------------------------------------


class Servers:
    def __init__(self, work: str):
        self.work = work
        self.procs: list = []

    def start(self, scenarios: list, deadline: Deadline) -> None:
        pending = []
        for s in scenarios:
            d = os.path.join(self.work, "server", s.id)
            os.makedirs(d)
            leaf = os.path.join(d, "leaf.pem")
            with open(leaf, "w", encoding="ascii") as f:
                f.write(s.served_pem[0] + "\n")
            cmd = [
                "openssl", "s_server", "-www", "-accept", "127.0.0.1:0",
                "-cert", leaf, "-key", s.key,
                # No store: with an empty -cert_chain, s_server must not build
                # a chain of its own.
                "-no-CAfile", "-no-CApath", "-no-CAstore",
                # Serve weak keys and SHA-1 chains too: judging them is the
                # clients' job, not the server's.
                "-cipher", "DEFAULT:@SECLEVEL=0",
            ]
            if len(s.served_pem) > 1:
                chain = os.path.join(d, "chain.pem")
                with open(chain, "w", encoding="ascii") as f:
                    f.write("\n".join(s.served_pem[1:]) + "\n")
                cmd += ["-cert_chain", chain]
            out = open(os.path.join(d, "stdout"), "w+b")
            err = open(os.path.join(d, "stderr"), "w+b")
            p = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=clean_env(),
                start_new_session=True,
            )
            out.close()
            err.close()
            self.procs.append(p)
            pending.append((s, p, d))
        for s, p, d in pending:
            s.port = self._wait_accept(s, p, d, deadline)

    def _wait_accept(self, s: Scenario, p, d: str, deadline: Deadline) -> int:
        stop = time.monotonic() + deadline.left(CONNECT_TIMEOUT)
        while time.monotonic() < stop:
            with open(os.path.join(d, "stdout"), encoding="ascii", errors="replace") as f:
                m = re.search(r"^ACCEPT \S*:(\d+)\s*$", f.read(), re.MULTILINE)
            if m:
                return int(m.group(1))
            if p.poll() is not None:
                with open(os.path.join(d, "stderr"), encoding="utf-8", errors="replace") as f:
                    raise HarnessError(f"{s.id}: openssl s_server exited: {short(f.read())}")
            time.sleep(0.02)
        raise HarnessError(f"{s.id}: openssl s_server did not listen within {CONNECT_TIMEOUT} s")

    def stop(self) -> None:
        for p in self.procs:
            kill_group(p)
        self.procs = []


def check_wire(s: Scenario, deadline: Deadline) -> None:
    """What the server sends must be served.pem, in order, duplicates kept."""
    cmd = ["openssl", "s_client", "-showcerts", "-connect", f"127.0.0.1:{s.port}"]
    if not s.is_ip:
        cmd += ["-servername", s.host]
    rc, out, err = run(cmd, deadline.left(CONNECT_TIMEOUT))
    got = [ssl.PEM_cert_to_DER_cert(p) for p in split_pem(out)]
    if got != s.served:
        raise HarnessError(
            f"{s.id}: the server sent {len(got)} certificate(s) that are not served.pem "
            f"({len(s.served)}) in its order: {short(err)}"
        )


# --- the clients -------------------------------------------------------------
# Each returns {scenario id: (trusted, detail)}.


def client_s_client(scenarios, work, deadline):
    res = {}
    for s in scenarios:
        cmd = [
            "openssl", "s_client", "-connect", f"127.0.0.1:{s.port}",
            "-verify_return_error", "-CAfile", s.trust,
        ]
        if s.is_ip:
            cmd += ["-verify_ip", s.host]
        else:
            cmd += ["-servername", s.host, "-verify_hostname", s.host]
        rc, out, err = run(cmd, deadline.left(CONNECT_TIMEOUT))
        text = out + err
        if rc == 0:
            res[s.id] = (True, "")
            continue
        m = re.search(r"verify error:num=\d+:(.*)", text)
        if not m:
            raise HarnessError(f"s_client {s.id}: failed without a verify error: {short(text)}")
        res[s.id] = (False, m.group(1).strip())
    return res


def python_verdicts(scenarios, deadline, strict: bool):
    res = {}
    for s in scenarios:
        ctx = ssl.create_default_context(cafile=s.trust)
        if strict:
            ctx.verify_flags |= ssl.VERIFY_X509_STRICT
        try:
            with socket.create_connection(
                ("127.0.0.1", s.port), timeout=deadline.left(CONNECT_TIMEOUT)
            ) as sock:
                with ctx.wrap_socket(sock, server_hostname=s.host):
                    pass
            res[s.id] = (True, "")
        except ssl.SSLCertVerificationError as e:
            res[s.id] = (False, e.verify_message)
        except ssl.SSLError as e:
            res[s.id] = (False, short(str(e)))
        except OSError as e:
            raise HarnessError(f"python {s.id}: {e}") from e
    return res


def client_python(scenarios, work, deadline):
    return python_verdicts(scenarios, deadline, strict=False)


def client_python_strict(scenarios, work, deadline):
    return python_verdicts(scenarios, deadline, strict=True)


def client_curl(scenarios, work, deadline):
    res = {}
    for s in scenarios:
        cmd = [
            "curl", "-sS", "-o", os.devnull, "--noproxy", "*",
            "--max-time", str(CONNECT_TIMEOUT), "--cacert", s.trust,
        ]
        if s.is_ip:
            cmd.append(f"https://{s.host}:{s.port}/")
        else:
            cmd += ["--resolve", f"{s.host}:{s.port}:127.0.0.1", f"https://{s.host}:{s.port}/"]
        rc, out, err = run(cmd, deadline.left(CONNECT_TIMEOUT + 5))
        if rc in (6, 7, 28):  # cannot resolve, cannot connect, timed out
            raise HarnessError(f"curl {s.id}: {short(err)}")
        res[s.id] = (rc == 0, short(err.splitlines()[0]) if rc else "")
    return res


def list_file(work: str, name: str, scenarios, trust_of) -> str:
    path = os.path.join(work, name)
    with open(path, "w", encoding="utf-8") as f:
        for s in scenarios:
            f.write(f"{s.id}\t{s.port}\t{s.host}\t{trust_of(s)}\n")
    return path


def parse_lines(name: str, out: str, scenarios) -> dict:
    res = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1] in ("ok", "fail"):
            res[parts[0]] = (parts[1] == "ok", parts[2])
    missing = [s.id for s in scenarios if s.id not in res]
    if missing:
        raise HarnessError(f"{name}: no verdict for {', '.join(missing)}: {short(out)}")
    for sid, (ok, detail) in res.items():
        if not ok and re.search(
            r"i/o timeout|connection refused|SocketTimeoutException|ConnectException", detail
        ):
            raise HarnessError(f"{name} {sid}: not a verdict: {detail}")
    return res


def client_go(scenarios, work, deadline):
    gowork = os.path.join(work, "go")
    os.makedirs(gowork)
    env = clean_env(
        {
            "GOCACHE": os.path.join(gowork, "cache"),
            "GOPATH": os.path.join(gowork, "path"),
            "GOTOOLCHAIN": "local",
            "GOPROXY": "off",
            "GOFLAGS": "",
            "CGO_ENABLED": "0",
        }
    )
    exe = os.path.join(gowork, "goclient")
    rc, out, err = run(
        ["go", "build", "-o", exe, "main.go"],
        deadline.left(120),
        env=env,
        cwd=os.path.join(HERE, "goclient"),
    )
    if rc != 0:
        raise HarnessError(f"go build failed: {short(out + err)}")
    lst = list_file(work, "go.list", scenarios, lambda s: s.trust)
    rc, out, err = run([exe, lst], deadline.left(), env=clean_env())
    if rc != 0:
        raise HarnessError(f"goclient exited {rc}: {short(err)}")
    return parse_lines("go", out, scenarios)


def truststores(scenarios, work, deadline) -> dict:
    """One PKCS#12 trust store per distinct trust.pem, made by keytool."""
    stores = {}
    jobs = []
    for s in scenarios:
        with open(s.trust, encoding="ascii") as f:
            text = f.read()
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        store = os.path.join(work, "java", f"{digest}.p12")
        stores[s.id] = store
        if any(j[0] == store for j in jobs):
            continue
        pems = split_pem(text)
        if not pems:
            raise HarnessError(f"{s.trust}: no certificate")
        jobs.append((store, pems))
    os.makedirs(os.path.join(work, "java"), exist_ok=True)

    def make(job):
        store, pems = job
        for i, pem in enumerate(pems):
            cert = f"{store}.{i}.pem"
            with open(cert, "w", encoding="ascii") as f:
                f.write(pem + "\n")
            rc, out, err = run(
                [
                    "keytool", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC",
                    "-importcert", "-noprompt", "-storetype", "PKCS12",
                    "-keystore", store, "-storepass", STOREPASS,
                    "-alias", f"ca{i}", "-file", cert,
                ],
                deadline.left(60),
            )
            if rc != 0:
                raise HarnessError(f"keytool {cert}: {short(out + err)}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for f in [pool.submit(make, j) for j in jobs]:
            f.result()
    return stores


def client_java(scenarios, work, deadline):
    stores = truststores(scenarios, work, deadline)
    lst = list_file(work, "java.list", scenarios, lambda s: stores[s.id])
    rc, out, err = run(
        ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
         os.path.join(HERE, "JavaClient.java"), lst],
        deadline.left(),
    )
    if rc != 0:
        raise HarnessError(f"java exited {rc}: {short(err)}")
    return parse_lines("java", out, scenarios)


def free_ports(n: int) -> list:
    socks = []
    try:
        for _ in range(n):
            so = socket.socket()
            so.bind(("127.0.0.1", 0))
            socks.append(so)
        return [so.getsockname()[1] for so in socks]
    finally:
        for so in socks:
            so.close()


def client_nginx(scenarios, work, deadline):
    prefix = os.path.join(work, "nginx")
    os.makedirs(os.path.join(prefix, "tmp"))
    os.makedirs(os.path.join(prefix, "logs"))
    log = os.path.join(prefix, "error.log")
    ports = free_ports(len(scenarios))
    servers = []
    for s, port in zip(scenarios, ports):
        servers.append(
            f"""  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass https://127.0.0.1:{s.port};
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate {s.trust};
      proxy_ssl_name {s.host};
      proxy_ssl_server_name on;
      proxy_connect_timeout {CONNECT_TIMEOUT}s;
      proxy_read_timeout {CONNECT_TIMEOUT}s;
    }}
  }}
"""
        )
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(
            f"daemon off;\nmaster_process off;\npid {prefix}/nginx.pid;\n"
            f"error_log {log} info;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n  access_log off;\n"
            + "".join(
                f"  {t}_temp_path {prefix}/tmp;\n"
                for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + "".join(servers)
            + "}\n"
        )
    p = subprocess.Popen(
        ["nginx", "-p", prefix, "-c", conf, "-e", log],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_env(),
        start_new_session=True,
    )
    try:
        stop = time.monotonic() + deadline.left(CONNECT_TIMEOUT)
        waiting = list(ports)
        while waiting:
            if p.poll() is not None:
                with open(log, encoding="utf-8", errors="replace") as f:
                    raise HarnessError(f"nginx exited {p.returncode}: {short(f.read())}")
            if time.monotonic() > stop:
                raise HarnessError(f"nginx did not listen within {CONNECT_TIMEOUT} s")
            try:
                socket.create_connection(("127.0.0.1", waiting[0]), timeout=1).close()
                waiting.pop(0)
            except OSError:
                time.sleep(0.05)
        status = {}
        for s, port in zip(scenarios, ports):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=deadline.left(2 * CONNECT_TIMEOUT))
            try:
                c.request("GET", "/")
                r = c.getresponse()
                r.read()
                status[s.id] = r.status
            finally:
                c.close()
    finally:
        kill_group(p)
    with open(log, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    res = {}
    for s in scenarios:
        st = status[s.id]
        if st == 200:
            res[s.id] = (True, "")
            continue
        if st != 502:
            raise HarnessError(f"nginx {s.id}: HTTP {st}, neither 200 nor 502")
        upstream = f'upstream: "https://127.0.0.1:{s.port}/"'
        why = [l for l in lines if upstream in l and "[info]" not in l]
        detail = "HTTP 502"
        if why:
            m = re.search(r"\*\d+ (.*?)(?: while SSL handshaking to upstream|, client:)", why[0])
            detail = m.group(1) if m else short(why[0])
        res[s.id] = (False, detail)
    return res


CLIENT_FUNCS = {
    "s_client": client_s_client,
    "python": client_python,
    "python-strict": client_python_strict,
    "curl": client_curl,
    "go": client_go,
    "java": client_java,
    "nginx": client_nginx,
}


def versions() -> dict:
    def first(cmd):
        try:
            rc, out, err = run(cmd, 30)
        except (OSError, HarnessError) as e:
            return f"unknown ({e})"
        return (out + err).strip().splitlines()[0] if (out + err).strip() else "unknown"

    py = f"Python {sys.version.split()[0]} with {ssl.OPENSSL_VERSION}"
    return {
        "s_client": first(["openssl", "version"]),
        "python": py,
        "python-strict": py,
        "curl": first(["curl", "--version"]),
        "go": first(["go", "version"]),
        "java": first(["java", "-version"]),
        "nginx": first(["nginx", "-v"]),
    }


# --- output ------------------------------------------------------------------


def markdown(scenarios, results) -> str:
    head = "| scenario | " + " | ".join(f"{n}<br>({m})" for n, m in CLIENTS) + " |"
    rule = "|---|" + "|".join(":-:" for _ in CLIENTS) + "|"
    rows = [head, rule]
    for s in scenarios:
        cells = ["✓" if results[s.id][n]["trusted"] else "✗" for n, _ in CLIENTS]
        rows.append(f"| `{s.id}` | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def write_atomic(path: str, text: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def update_doc(path: str, table: str) -> None:
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    start, end = doc.find(MATRIX_START), doc.find(MATRIX_END)
    if start < 0 or end < start:
        raise HarnessError(f"{path}: no {MATRIX_START} ... {MATRIX_END} section")
    body = doc[: start + len(MATRIX_START)] + "\n" + table + doc[end:]
    write_atomic(path, body)


def main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="+", metavar="SCENARIO_DIR")
    ap.add_argument("--json", required=True, metavar="OUT.json")
    ap.add_argument("--markdown", metavar="OUT.md", help="the matrix table alone")
    ap.add_argument("--update-doc", metavar="DOC.md", help="replace the table between the matrix markers")
    ap.add_argument("--clients", default=",".join(n for n, _ in CLIENTS), help="comma-separated subset")
    ap.add_argument("--timeout", type=float, default=OVERALL_TIMEOUT, help="overall bound, seconds")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (printed)")
    args = ap.parse_args(argv[1:])

    def on_term(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    wanted = args.clients.split(",")
    unknown = [c for c in wanted if c not in CLIENT_FUNCS]
    if unknown:
        print(f"unknown client(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    began = time.monotonic()
    deadline = Deadline(args.timeout)
    work = tempfile.mkdtemp(prefix="chainsmith-clients-")
    servers = Servers(work)
    try:
        scenarios = [load_scenario(d) for d in args.scenarios]
        ids = [s.id for s in scenarios]
        if len(set(ids)) != len(ids):
            raise HarnessError("two scenario directories share an id")
        servers.start(scenarios, deadline)
        for s in scenarios:
            check_wire(s, deadline)
        verdicts = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            try:
                futs = {pool.submit(CLIENT_FUNCS[c], scenarios, work, deadline): c for c in wanted}
                for fut in concurrent.futures.as_completed(futs, timeout=deadline.left()):
                    verdicts[futs[fut]] = fut.result()
            except BaseException:
                # Do not wait for the other clients to work through their
                # lists: stop them now, then leave the pool.
                deadline.cancel()
                raise
        vers = versions()
    except HarnessError as e:
        print(f"run_clients: {e}", file=sys.stderr)
        return 1
    except concurrent.futures.TimeoutError:
        print(f"run_clients: the run exceeded its overall bound of {args.timeout:.0f} s", file=sys.stderr)
        return 1
    finally:
        servers.stop()
        if args.keep:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    chosen = [(n, m) for n, m in CLIENTS if n in wanted]
    results = {
        s.id: {
            n: {"model": m, "trusted": verdicts[n][s.id][0], "detail": verdicts[n][s.id][1]}
            for n, m in chosen
        }
        for s in scenarios
    }
    doc = {
        "version": 1,
        "clients": [{"name": n, "model": m, "version": vers[n]} for n, m in chosen],
        "scenarios": {s.id: {"description": s.description, "host": s.host} for s in scenarios},
        "elapsed_seconds": round(time.monotonic() - began, 1),
        "results": results,
    }
    write_atomic(args.json, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    if args.markdown or args.update_doc:
        if len(chosen) != len(CLIENTS):
            print("--markdown and --update-doc need every client", file=sys.stderr)
            return 2
        table = markdown(scenarios, results)
        if args.markdown:
            write_atomic(args.markdown, table)
        if args.update_doc:
            update_doc(args.update_doc, table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
