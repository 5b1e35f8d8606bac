#!/usr/bin/env bash
# Measure every real client against fresh scenarios and rewrite the matrix
# in docs/clients.md (between the matrix markers). Run from anywhere:
#   tests/clients/regenerate.sh [OUT.json]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tests/clients/scenarios.py "$work/scenarios"
python3 tests/clients/run_clients.py "$work"/scenarios/*/ \
  --json "${1:-$work/results.json}" --update-doc docs/clients.md
echo "docs/clients.md: matrix updated"
