#!/usr/bin/env bash
# probe benchmarks (issue 16), as whole processes with hyperfine, medians:
#
#  1. a fleet: one nginx listening on 200 loopback ports (one served chain,
#     leaf + intermediate), probed by `chainsmith probe --targets FILE
#     --jobs 32` against a shell loop of `openssl s_client` over the same
#     200 ports, in the same run. Target: <= 2 s wall for chainsmith.
#  2. one endpoint: a local `openssl s_server` (as scripts/bench-absolute.sh
#     does). Target: within 1.2x of the figure in docs/performance.md.
#
#   scripts/bench-probe.sh              # RUNS=10 of each
#   RUNS=20 JOBS=32 scripts/bench-probe.sh
#
# Needs hyperfine, nginx, openssl and python3; uses the release build.
# Results belong in docs/performance.md ("probe of many endpoints").
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
jobs=${JOBS:-32}
n=${ENDPOINTS:-200}
for tool in hyperfine nginx openssl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench-probe: $tool is not installed" >&2
    exit 2
  fi
done
cargo build --release -q
cs=$(pwd)/target/release/chainsmith
# shellcheck source=scripts/s-server.sh
. scripts/s-server.sh
work=$(mktemp -d)
nginx_pid=
server_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$cs" generate --quiet --san www.example.com -o "$work/chain" >/dev/null

# 200 consecutive free ports from a random base.
ports=$(python3 - "$n" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(100):
    base = random.randint(20000, 60000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
    except OSError:
        for s in socks: s.close()
        continue
    for s in socks: s.close()
    print(" ".join(str(p) for p in range(base, base + n)))
    break
PY
)
[ -n "$ports" ] || { echo "bench-probe: no $n free consecutive ports" >&2; exit 2; }

mkdir -p "$work/ng/tmp"
d=$work/ng
{
  [ "$(id -u)" = 0 ] && echo "user root;"
  echo "daemon off; master_process on; worker_processes 2; pid $d/nginx.pid; error_log $d/error.log;"
  echo "events { worker_connections 4096; }"
  echo "http { access_log off; client_body_temp_path $d/tmp; proxy_temp_path $d/tmp; fastcgi_temp_path $d/tmp; uwsgi_temp_path $d/tmp; scgi_temp_path $d/tmp;"
  echo "  server {"
  for p in $ports; do echo "    listen 127.0.0.1:$p ssl;"; done
  echo "    server_name _;"
  echo "    ssl_certificate $work/chain/server-fullchain.crt; ssl_certificate_key $work/chain/server.key;"
  echo "    location / { return 200 \"ok\\n\"; }"
  echo "  }"
  echo "}"
} > "$d/nginx.conf"
nginx -p "$d" -c "$d/nginx.conf" >/dev/null 2>&1 &
nginx_pid=$!
: > "$work/targets.txt"
for p in $ports; do echo "127.0.0.1:$p www.example.com" >> "$work/targets.txt"; done
last=${ports##* }
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$last") 2>/dev/null && break
  sleep 0.05
done

# The loop probes each port once, as the fleet probe does.
cat > "$work/loop.sh" <<EOF
for p in $ports; do
  openssl s_client -connect 127.0.0.1:\$p -servername www.example.com </dev/null >/dev/null 2>&1
done
EOF

# Sanity: every target answers, and the report lists 200.
got=$("$cs" probe --quiet --exit-zero --jobs "$jobs" --targets "$work/targets.txt" --format json \
  | python3 -c 'import json,sys; v=json.load(sys.stdin); print(sum(1 for t in v["targets"] if t["error"] is None))')
[ "$got" = "$n" ] || { echo "bench-probe: only $got of $n targets answered" >&2; exit 2; }

# One endpoint, as scripts/bench-absolute.sh measures it.
start_s_server "$work/chain"

hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/fleet.json" \
  -n "chainsmith probe --jobs $jobs ($n endpoints)" \
  "$cs probe --quiet --exit-zero --jobs $jobs --targets $work/targets.txt --format json" \
  >/dev/null
hyperfine --warmup 1 --runs "$(( runs < 5 ? runs : 5 ))" --export-json "$work/loop.json" \
  -n "shell loop of openssl s_client ($n endpoints)" "bash $work/loop.sh" >/dev/null
hyperfine -N --warmup 3 --runs "$(( runs * 3 ))" --export-json "$work/one.json" \
  -n "chainsmith probe (one endpoint)" \
  "$cs probe --quiet --exit-zero --sni localhost 127.0.0.1:$port" >/dev/null

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores"
python3 - "$work" <<'PY'
import json, sys
for name in ("fleet", "loop", "one"):
    r = json.load(open(f"{sys.argv[1]}/{name}.json"))["results"][0]
    print(f"{r['command']:<55} median {r['median']*1000:9.1f} ms   min {r['min']*1000:9.1f} ms   runs {len(r['times'])}")
PY
