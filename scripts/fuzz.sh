#!/usr/bin/env bash
# Run the cargo-fuzz targets with seed corpora from tests/corpus and
# fixtures/. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); only the stable toolchain is
# installed, so RUSTC_BOOTSTRAP=1 lets it use the nightly-only flags.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(load chain pkcs12 lint path)
export RUSTC_BOOTSTRAP=1

seed() {
  local dir=fuzz/corpus/$1
  mkdir -p "$dir"
  case $1 in
    pkcs12) find tests/corpus fixtures -type f \( -name '*.p12' -o -name '*.pfx' \) -exec cp -n {} "$dir"/ \; ;;
    # One seed per x509-limbo case: the peer certificate first, then the
    # untrusted intermediates and the trusted roots (name constraints of
    # every form, path lengths, pathological chains).
    path) python3 - "$dir" tests/corpus/limbo/limbo-generated-8a2e6f4.json <<'PY'
import hashlib, json, os, sys
out, suite = sys.argv[1], json.load(open(sys.argv[2]))
for t in suite["testcases"]:
    pem = "".join([t["peer_certificate"]] + t.get("untrusted_intermediates", []) + t.get("trusted_certs", []))
    name = hashlib.sha256(pem.encode()).hexdigest()[:16]
    with open(os.path.join(out, name), "w") as f:
        f.write(pem)
PY
    ;;
    *) find tests/corpus fixtures -type f \( -name '*.pem' -o -name '*.crt' -o -name '*.cer' -o -name '*.der' \
         -o -name '*.p7b' -o -name '*.p7c' \) -size -64k -exec cp -n {} "$dir"/ \; ;;
  esac
}

cd fuzz
for t in "${targets[@]}"; do
  (cd .. && seed "$t")
  echo "== $t for ${secs}s"
  cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -max_len=65536 2>&1 | tee "../target/fuzz-$t.log" | grep -E '^(#[0-9]+.*DONE|Done|==[0-9]+==|SUMMARY|stat::)' || true
  grep -E "Done [0-9]+ runs|SUMMARY" "../target/fuzz-$t.log" | tail -2 || true
done
