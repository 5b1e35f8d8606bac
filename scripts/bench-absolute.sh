#!/usr/bin/env bash
# The absolute speed targets of issue 6, as whole processes with hyperfine
# (medians), plus peak memory with GNU time. Run from anywhere; reads
# int-bundle.pem from the vendored corpus in tests/corpus.
#
#   scripts/bench-absolute.sh        # RUNS=30 by default
#
# Targets: startup < 2x /bin/true; 2-certificate lint <= 3 ms; system-store
# lint <= 15 ms; int-bundle.pem lint <= 100 ms; peak memory of the
# int-bundle lint < 50 MB; probe of a local server < 50 ms; inspect of the
# system store < 20 ms; convert/bundle of the system store < 20 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-30}
for tool in hyperfine openssl python3 rustc; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench-absolute: $tool is not installed" >&2
    exit 2
  fi
done
if [ ! -x /usr/bin/time ]; then
  echo "bench-absolute: GNU time (/usr/bin/time, Debian package time) is not installed" >&2
  exit 2
fi
store=${SYSTEM_STORE:-/etc/ssl/certs/ca-certificates.crt}
ib=tests/corpus/cfssl/bundler/int-bundle.pem
if [ ! -f "$ib" ]; then
  echo "bench-absolute: $ib is missing (the vendored corpus)" >&2
  exit 2
fi
cargo build --release -q
cs=$(pwd)/target/release/chainsmith
# shellcheck source=scripts/s-server.sh
. scripts/s-server.sh
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

results=$work/results.tsv
: > "$results"
# one NAME CMD...: median of RUNS runs, no shell (-N)
one() {
  local name=$1; shift
  hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$work/$name.json" "$@" >/dev/null
  python3 - "$work/$name.json" "$name" >> "$results" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{sys.argv[2]}\t{r['command']}\t{r['median']*1000:.2f}\t{r['min']*1000:.2f}")
PY
}

# The floor for a Rust program: hello world built by the same rustc (-O),
# timed in the same hyperfine call.
printf 'fn main() { println!("hello"); }\n' > "$work/hello.rs"
rustc -O -o "$work/hello" "$work/hello.rs"
one startup "$cs --version" /bin/true "$work/hello"
one lint-2-certs "$cs lint --quiet --exit-zero fixtures/server-fullchain.pem"
one lint-store "$cs lint --quiet --exit-zero --expect ca-bundle $store"
one lint-int-bundle "$cs lint --quiet --exit-zero $ib"
one inspect-store "$cs inspect $store"
one bundle-store "$cs bundle $store" "$cs bundle $store --force -o $work/bundle.pem"
one convert-store-pem "$cs convert --to pem $store --force -o $work/store.pem"
one convert-store-der "$cs convert --to der $store --force -o $work/der"
# The same on a memory file system, where creating a file costs little:
# what is left is chainsmith's own work.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  shm=$(mktemp -d /dev/shm/chainsmith-bench.XXXXXX)
  one convert-der-tmpfs "$cs convert --to der $store --force -o $shm/der"
  rm -rf "$shm"
fi
# The file system's floor: creating and writing as many files of the same
# size in a fresh directory beside $work/der, timed inside one Python process
# (median of RUNS), no temporary names, renames or flushes.
n_certs=$(grep -c 'BEGIN CERTIFICATE' "$store")
python3 - "$work" "$n_certs" "$runs" >> "$results" <<'PY'
import os, shutil, statistics, sys, time
work, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = b"x" * 1400
times = []
for r in range(runs):
    d = os.path.join(work, f"floor{r}")
    os.mkdir(d)
    t = time.perf_counter()
    for i in range(n):
        fd = os.open(os.path.join(d, f"{i}.cer"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, body)
        os.close(fd)
    times.append(time.perf_counter() - t)
    shutil.rmtree(d)
print(f"fs-floor\tcreate {n} files of 1.4 KB (Python, in process)\t{statistics.median(times)*1000:.2f}\t{min(times)*1000:.2f}")
PY

# probe: a local openssl s_server with a chainsmith chain (leaf + intermediate)
"$cs" generate --quiet --san localhost -o "$work/chain" >/dev/null
start_s_server "$work/chain"
one probe "$cs probe --quiet --exit-zero --sni localhost 127.0.0.1:$port"

# peak memory of the 1385-certificate lint (median of 5)
rss=()
for _ in 1 2 3 4 5; do
  rss+=("$(/usr/bin/time -v "$cs" lint --quiet --exit-zero "$ib" 2>&1 >/dev/null \
    | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}')")
done
peak=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n 3p)

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-18s %10s %10s  %s\n' task median_ms min_ms command
while IFS=$'\t' read -r name cmd med min; do
  cmd=${cmd/$cs/chainsmith}
  printf '%-18s %10s %10s  %s\n' "$name" "$med" "$min" "${cmd/$work\/hello/hello-world (rustc -O)}"
done < "$results"
echo "peak RSS of lint int-bundle.pem (1385 certificates): $((peak / 1024)) MB (${peak} kB, median of 5)"
