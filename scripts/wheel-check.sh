#!/usr/bin/env bash
# The wheel, checked the way a user meets it (issue 19):
#
#   1. build the wheel (maturin, release profile) and the sdist;
#   2. install the wheel into a fresh virtual environment and run
#      `chainsmith --version` from there;
#   3. `pre-commit try-repo` this checkout in a throwaway git repository that
#      holds a good CA bundle and a leaf-only one: the hook must pass the
#      first and fail the second with CS201, through
#        a. chainsmith-lint-system, with the wheel's environment on PATH;
#        b. a `language: python` hook that installs the built wheel as a
#           dependency (what a user gets once the wheel is on PyPI, and what
#           a mirror hooks repository does: README.md, "Pre-commit");
#        c. chainsmith-lint, the `language: python` hook of this repository,
#           for which pre-commit pip-installs the checkout, which builds the
#           wheel again from source in pre-commit's own environment
#           (WHEEL_CHECK_SOURCE_HOOK=0 skips this one, loudly).
#
# Each step prints its wall time. CARGO_TARGET_DIR is shared by every build
# (default: this checkout's target/), so the build inside pre-commit (3c)
# reuses the dependencies compiled in step 1 instead of starting cold.
#
# Called by .ci/run after the tests; runs on its own as
# `bash scripts/wheel-check.sh`. Needs python3 (with venv), git, pre-commit,
# cargo and network access to PyPI (maturin, and pip's build isolation).
# try-repo sees this checkout's commits plus changes to tracked files; a new
# file must be committed or staged to be part of the check.
#
# The verdicts do not depend on the clock until 2125: the fixtures are valid
# from 2026-11-22 to 2125 and CS201 is about what the file holds (a hook
# entry cannot take `--at`).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

fail() {
  echo "wheel-check: FAILED: $*" >&2
  exit 1
}
for tool in python3 git pre-commit cargo; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH"
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
# pre-commit's store (clones, hook environments) starts empty: every timing
# below is a first run, as on a fresh laptop.
export PRE_COMMIT_HOME="$scratch/pre-commit-home"
export PIP_DISABLE_PIP_VERSION_CHECK=1

t0=0
start() {
  echo "== wheel: $*"
  t0=$(date +%s.%N)
}
took() {
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

version=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["packages"][0]["version"])')

# 1. Build.
start "maturin into a build environment"
python3 -m venv "$scratch/build-env"
"$scratch/build-env/bin/pip" install --quiet 'maturin>=1.5,<2'
echo "maturin: $("$scratch/build-env/bin/maturin" --version) ($(took) s)"

start "build the wheel (release)"
"$scratch/build-env/bin/maturin" build --release --out "$scratch/dist"
build_s=$(took)
shopt -s nullglob
wheels=("$scratch"/dist/*.whl)
shopt -u nullglob
[ "${#wheels[@]}" -eq 1 ] || fail "expected one wheel in dist/, found ${#wheels[@]}"
wheel=${wheels[0]}
echo "wheel: $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB, built in $build_s s"
# What the wheel holds: the binary as a script, the metadata from Cargo.toml.
python3 - "$wheel" "$version" <<'PY' || fail "the wheel's contents or metadata are wrong"
import sys, zipfile
path, version = sys.argv[1], sys.argv[2]
names = zipfile.ZipFile(path).namelist()
scripts = [n for n in names if "/scripts/" in n]
assert len(scripts) == 1 and scripts[0].endswith("/scripts/chainsmith"), names
meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
meta = zipfile.ZipFile(path).read(meta_name).decode()
headers = dict(l.split(": ", 1) for l in meta.split("\n\n", 1)[0].splitlines() if ": " in l)
assert headers.get("Version") == version, headers.get("Version")
assert "MIT OR Apache-2.0" in (headers.get("License-Expression") or headers.get("License", "")), headers
assert not any(l.startswith("Classifier: License ::") for l in meta.splitlines()), "license classifier"
print("contents:", ", ".join(n for n in names if not n.endswith("RECORD")))
PY

start "build the sdist"
"$scratch/build-env/bin/maturin" sdist --out "$scratch/sdist" >/dev/null
sdist=$(ls "$scratch"/sdist/*.tar.gz)
tar tzf "$sdist" >"$scratch/sdist.list"
for need in Cargo.toml Cargo.lock pyproject.toml README.md .cargo/config.toml src/main.rs; do
  grep -qx "[^/]*/$need" "$scratch/sdist.list" || fail "the sdist lacks $need"
done
if grep -q '/tests/corpus/' "$scratch/sdist.list"; then
  fail "the sdist carries tests/corpus (test data only)"
fi
echo "sdist: $(basename "$sdist"), $(du -k "$sdist" | cut -f1) KiB, $(wc -l <"$scratch/sdist.list") files ($(took) s)"

# 2. A fresh virtual environment gets `chainsmith` from the wheel alone.
start "install the wheel into a fresh venv"
python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install --quiet --no-index "$wheel"
echo "installed in $(took) s"
found=$(PATH="$scratch/venv/bin:$PATH" command -v chainsmith)
[ "$found" = "$scratch/venv/bin/chainsmith" ] || fail "chainsmith on PATH is $found, not the venv's"
got=$("$scratch/venv/bin/chainsmith" --version)
echo "$got"
case "$got" in
  "chainsmith $version "*) ;;
  *) fail "chainsmith --version said '$got', Cargo.toml says $version" ;;
esac

# 3. pre-commit in a throwaway repository.
work="$scratch/work"
mkdir "$work"
cp fixtures/ca-bundle.pem "$work/ca-bundle.pem"
cp fixtures/leaf-only-ca-bundle.pem "$work/ca-bundle-bad.pem"
git -C "$work" init --quiet
git -C "$work" add -A

# hook LABEL pass|fail FILE COMMAND...: run a pre-commit command in the
# throwaway repository on FILE and check its verdict.
hook() {
  local label=$1 want=$2 file=$3
  shift 3
  local out rc=0
  start "$label on $file (expect $want)"
  out=$(cd "$work" && "$@" --files "$file" 2>&1) || rc=$?
  local s
  s=$(took)
  if [ "$want" = pass ]; then
    if [ "$rc" -ne 0 ] || ! grep -q 'Passed$' <<<"$out"; then
      printf '%s\n' "$out" >&2
      fail "$label: $file should pass (exit $rc)"
    fi
  else
    if [ "$rc" -ne 1 ] || ! grep -q 'Failed$' <<<"$out" ||
      ! grep -q 'error\[CS201\]' <<<"$out" || ! grep -q -- "--> $file" <<<"$out"; then
      printf '%s\n' "$out" >&2
      fail "$label: $file should fail with CS201 (exit $rc)"
    fi
  fi
  echo "$label: $want as expected on $file ($s s)"
}

# a. The system hook, with the wheel's venv first on PATH.
PATH="$scratch/venv/bin:$PATH" hook chainsmith-lint-system pass ca-bundle.pem \
  pre-commit try-repo "$repo" chainsmith-lint-system
PATH="$scratch/venv/bin:$PATH" hook chainsmith-lint-system fail ca-bundle-bad.pem \
  pre-commit try-repo "$repo" chainsmith-lint-system

# b. A python hook that installs the prebuilt wheel, nothing built. The
#    placeholder package pre-commit makes for a local hook needs setuptools
#    from the index; the wheel itself comes from the file.
cat >"$work/.pre-commit-config.yaml" <<EOF
repos:
  - repo: local
    hooks:
      - id: chainsmith-lint-wheel
        name: chainsmith lint (prebuilt wheel)
        language: python
        entry: chainsmith lint
        additional_dependencies: ['$wheel']
        files: '\\.(pem|crt|cer|der|p7b|p7c)$'
        require_serial: true
EOF
git -C "$work" add .pre-commit-config.yaml
hook "python hook from the wheel" pass ca-bundle.pem pre-commit run chainsmith-lint-wheel
hook "python hook from the wheel" fail ca-bundle-bad.pem pre-commit run chainsmith-lint-wheel

# c. This repository's python hook: pip builds the wheel from the checkout
#    in pre-commit's environment. try-repo keeps no store between runs, so
#    each run is a build (the dependencies come from CARGO_TARGET_DIR, the
#    chainsmith crate and the LTO link do not): one run, both files, and the
#    verdict read per file from chainsmith's own report.
if [ "${WHEEL_CHECK_SOURCE_HOOK:-1}" = 0 ]; then
  echo "== wheel: SKIPPED chainsmith-lint built from source (WHEEL_CHECK_SOURCE_HOOK=0)"
else
  start "chainsmith-lint (built from the checkout) on both files (expect CS201 on ca-bundle-bad.pem only)"
  rc=0
  out=$(cd "$work" && pre-commit try-repo "$repo" chainsmith-lint \
    --files ca-bundle.pem ca-bundle-bad.pem 2>&1) || rc=$?
  s=$(took)
  if [ "$rc" -ne 1 ] || ! grep -q 'Failed$' <<<"$out" ||
    ! grep -q 'error\[CS201\]' <<<"$out" || ! grep -q -- '--> ca-bundle-bad.pem' <<<"$out" ||
    grep -q -- '--> ca-bundle.pem' <<<"$out" || ! grep -q 'in 2 files (1 clean' <<<"$out"; then
    printf '%s\n' "$out" >&2
    fail "chainsmith-lint: expected CS201 on ca-bundle-bad.pem and ca-bundle.pem clean (exit $rc)"
  fi
  echo "chainsmith-lint: ca-bundle.pem clean, ca-bundle-bad.pem CS201, as expected ($s s, including the build)"
fi

echo "wheel-check: all checks passed"
