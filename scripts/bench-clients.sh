#!/usr/bin/env bash
# Per-client trust verdicts must not slow the pre-commit scan down: the
# 1,000-file scan with --trust, every client (--client all, the default),
# against the same scan by an older build (issue 15: within 1.3x).
#
#   scripts/bench-clients.sh BASE_BINARY [NEW_BINARY]
#
# BASE_BINARY is a release build of the commit to compare with (e.g. from
# `git worktree add --detach ../base <rev> && cargo build --release` there);
# NEW_BINARY defaults to target/release/chainsmith. Medians from one
# hyperfine run (alternating is not needed: both run in the same call).
set -euo pipefail
base=${1:?usage: scripts/bench-clients.sh BASE_BINARY [NEW_BINARY]}
new=${2:-target/release/chainsmith}
runs=${RUNS:-15}
command -v hyperfine >/dev/null || { echo "bench-clients: hyperfine is not installed" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The scan of scripts/bench-vs-openssl.sh: 1,000 PEM files, 2,700
# certificates, 70% with the root, 30% without.
"$new" generate --quiet --san seed.example.com -o "$work/ca" >/dev/null
for i in $(seq 1 100); do
  "$new" issue --quiet --ca "$work/ca/intermediate.crt" --ca-key "$work/ca/intermediate.key" \
    --san "host$i.example.com" --name "leaf$i" -o "$work/leaves" >/dev/null
done
mkdir -p "$work/scan"
for i in $(seq 1 1000); do
  l=$(( (i % 100) + 1 ))
  if [ $((i % 10)) -lt 7 ]; then
    cat "$work/leaves/leaf$l.crt" "$work/ca/intermediate.crt" "$work/ca/root.crt" > "$work/scan/f$i.pem"
  else
    cat "$work/leaves/leaf$l.crt" "$work/ca/intermediate.crt" > "$work/scan/f$i.pem"
  fi
done

args="lint --quiet --exit-zero --no-config --trust $work/ca/root.crt $work/scan"
hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$work/h.json" \
  -n base "$base $args" \
  -n "new, every client" "$new $args --client all" \
  -n "new, openssl only" "$new $args --client openssl" >&2
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
base = r["base"]["median"]
for name, x in r.items():
    print(f"{name:22s} median {x['median']*1000:8.1f} ms  ratio to base {x['median']/base:5.2f}x")
PY
