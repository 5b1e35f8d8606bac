#!/usr/bin/env bash
# Per-client trust verdicts must not slow the pre-commit scan down: the
# 1,000-file scan with --trust, every client (--client all, the default),
# against the same scan by an older build (issue 15: within 1.3x).
#
#   scripts/bench-clients.sh BASE_BINARY [NEW_BINARY]
#
# BASE_BINARY is a release build of the commit to compare with (e.g. from
# `git worktree add --detach ../base <rev> && cargo build --release` there);
# NEW_BINARY defaults to target/release/chainsmith. RUNS (default 15)
# alternating rounds; medians of wall and CPU time.
set -euo pipefail
base=${1:?usage: scripts/bench-clients.sh BASE_BINARY [NEW_BINARY]}
new=${2:-target/release/chainsmith}
runs=${RUNS:-15}
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
# Alternating runs, not hyperfine's one command after the other: on a
# shared machine the load drifts within a minute, and a ratio is only fair
# when both sides see the same drift. Wall and CPU time (user + sys) each.
python3 - "$runs" "$base $args" "$new $args --client all" "$new $args --client openssl" <<'PY'
import resource, shlex, statistics, subprocess, sys, time
runs = int(sys.argv[1])
names = ["base", "new, every client", "new, openssl only"]
cmds = [shlex.split(c) for c in sys.argv[2:]]
wall = {n: [] for n in names}
cpu = {n: [] for n in names}
for i in range(runs + 2):
    for n, c in zip(names, cmds):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i >= 2:  # two warm-up rounds
            wall[n].append(t1 - t0)
            cpu[n].append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
bw, bc = statistics.median(wall["base"]), statistics.median(cpu["base"])
for n in names:
    w, c = statistics.median(wall[n]), statistics.median(cpu[n])
    print(f"{n:20s} wall median {w*1000:7.1f} ms ({w/bw:4.2f}x)   cpu median {c*1000:7.1f} ms ({c/bc:4.2f}x)")
PY
