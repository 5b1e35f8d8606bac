#!/usr/bin/env bash
# The RustSec advisory check of every locked crate (and of fuzz/Cargo.lock),
# with the policy in deny.toml: any vulnerability, unsoundness, unmaintained
# crate or yanked version fails.
#
#   scripts/audit.sh
#
# It fetches the RustSec database (a git repository on GitHub), so it runs
# only where GitHub is reachable; this project's CI is not such a place and
# runs `cargo deny check bans licenses sources` instead (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo-deny >/dev/null; then
  echo "audit: cargo-deny is not installed (cargo install --locked cargo-deny)" >&2
  exit 2
fi
cargo deny --locked check advisories
(cd fuzz && cargo deny --locked --config ../deny.toml check advisories)
