#!/usr/bin/env bash
# Same-subject piles as whole processes (issue 13): N self-signed CAs that
# share one subject, made by openssl (not by chainsmith), through the
# release binary's lint, inspect and bundle --for ca, with wall time and
# peak memory from GNU time. Run from anywhere.
#
#   scripts/bench-same-name.sh              # N=10000, RUNS=3, KEYS=one (one key for all)
#   N=2000 KEYS=own scripts/bench-same-name.sh   # a key per certificate
#
# Target: 10,000 same-name CAs lint in under 1 s (the in-process figure is
# `cargo bench --bench hot -- same-name`). openssl needs about 5 ms per
# certificate to make the pile (under a minute for 10,000; own keys take
# longer); piles are kept in $TMPDIR/chainsmith-same-name between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-10000}
runs=${RUNS:-3}
keys=${KEYS:-one}
case $keys in
  one | own) ;;
  *)
  echo "bench-same-name: KEYS is one or own, not $keys" >&2
  exit 2
  ;;
esac
if ! command -v openssl >/dev/null; then
  echo "bench-same-name: openssl is not installed" >&2
  exit 2
fi
if [ ! -x /usr/bin/time ]; then
  echo "bench-same-name: GNU time (/usr/bin/time, Debian package time) is not installed" >&2
  exit 2
fi
cargo build --release -q
cs=$(pwd)/target/release/chainsmith

cache=${TMPDIR:-/tmp}/chainsmith-same-name
mkdir -p "$cache"
pile=$cache/$keys-$n.pem
if [ ! -s "$pile" ]; then
  echo "making $pile ($n certificates with openssl)..."
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/one.key" 2>/dev/null
  for i in $(seq 1 "$n"); do
    key=$work/one.key
    if [ "$keys" = own ]; then
      key=$work/own.key
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null
    fi
    # openssl 3 adds subjectKeyIdentifier and authorityKeyIdentifier.
    openssl req -new -x509 -key "$key" -subj "/CN=Same Subject CA" -set_serial "$i" \
      -days 3650 -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  done > "$work/pile.pem"
  mv "$work/pile.pem" "$pile"
fi
echo "pile: $pile ($(grep -c 'BEGIN CERTIFICATE' "$pile") certificates, $(wc -c < "$pile") bytes)"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
measure() {
  local name=$1; shift
  local out
  out=$(mktemp)
  for _ in $(seq 1 "$runs"); do
    # %e wall seconds, %M peak resident KB; the command's own output is dropped.
    /usr/bin/time -a -o "$out" -f '%e %M' "$@" >/dev/null 2>&1 || true
  done
  grep '^[0-9]' "$out" | sort -n | awk -v name="$name" 'NR == 1 { printf "%-16s best of '"$runs"': %6.2f s, peak %6.1f MB\n", name, $1, $2 / 1024 }'
  rm -f "$out"
}
measure "lint" "$cs" lint --at "$at" --exit-zero "$pile"
measure "inspect" "$cs" inspect "$pile"
measure "bundle --for ca" "$cs" bundle --for ca "$pile"
