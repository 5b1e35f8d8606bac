#!/usr/bin/env bash
# Lint speed benchmarks (issue 3): run from the repository root (the
# corpus is vendored in tests/corpus). Uses hyperfine when installed, otherwise perf stat / time.
#   1. the system trust store (144 roots, every self-signature verified)  target <= 15 ms
#   2. cfssl/bundler/int-bundle.pem (1385 certificates)                   target <= 100 ms
#   3. 1,000 PEM files (2,700 certificates, the same few CAs)            target <= 0.5 s
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/chainsmith
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 700); do cp fixtures/chain-with-root.pem "$work/c$i.pem"; done
for i in $(seq 1 300); do cp fixtures/server-fullchain.pem "$work/s$i.pem"; done
cases=(
  "$bin lint --no-config --exit-zero /etc/ssl/certs/ca-certificates.crt"
  "$bin lint --no-config --exit-zero tests/corpus/cfssl/bundler/int-bundle.pem"
  "$bin lint --no-config --exit-zero $work"
)
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 3 --output=null "${cases[@]}"
else
  for c in "${cases[@]}"; do
    echo "== $c"
    if command -v perf >/dev/null; then
      perf stat -r 10 -e task-clock $c 2>&1 >/dev/null | grep -E "task-clock|elapsed"
    else
      time ($c >/dev/null)
    fi
  done
fi
