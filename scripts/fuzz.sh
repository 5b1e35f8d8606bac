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
[ ${#targets[@]} -gt 0 ] || targets=(load chain pkcs12 lint path pkcs8 config)
export RUSTC_BOOTSTRAP=1

seed() {
  local dir=fuzz/corpus/$1
  mkdir -p "$dir"
  case $1 in
    pkcs12) find tests/corpus fixtures -type f \( -name '*.p12' -o -name '*.pfx' \) -exec cp -n {} "$dir"/ \; ;;
    # Encrypted PKCS#8 DER, password "password" (the target's), with cheap
    # parameters of every scheme openssl writes; and the fixture CA's key.
    pkcs8)
      local key=$dir/.plain.pem
      openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null
      for opts in "-v2 aes-256-cbc -iter 1" "-v2 aes-128-cbc -v2prf hmacWithSHA1 -iter 2" \
                  "-v2 des3 -iter 3" "-scrypt -scrypt_N 16 -scrypt_r 1 -scrypt_p 1" \
                  "-v1 PBE-SHA1-3DES -iter 1"; do
        # shellcheck disable=SC2086
        openssl pkcs8 -topk8 -in "$key" -outform DER -passout pass:password $opts \
          -out "$dir/$(echo "$opts" | tr -c 'a-zA-Z0-9' _).der" 2>/dev/null || true
      done
      openssl pkcs8 -topk8 -in fixtures/server.key -outform DER -passout pass:password -v2 aes-256-cbc -iter 1 \
        -out "$dir/rsa.der" 2>/dev/null || true
      openssl pkey -in fixtures/openssl-ca/ca-pkcs8-encrypted.key -passin file:fixtures/openssl-ca/password.txt \
        | openssl pkcs8 -topk8 -outform DER -passout pass:other -iter 1 -out "$dir/other-password.der" 2>/dev/null || true
      rm -f "$key" ;;
    # Configurations: every key, rule keys and globs of each form.
    config)
      printf 'warn-days = 45\nallow = ["CS103", "crlf-line-endings"]\ndeny = ["expires-soon"]\nwarn = ["CS406"]\nignore = ["vendor/**", "*.bak"]\ninclude = ["*.pem", "*.{crt,cer}"]\n[expect]\n"trust/*.pem" = "ca-bundle"\n"apim/*.cer" = "apim-ca"\n"aks/[a-z]*.pem" = "aks"\n"**/server?.pem" = "server-chain"\n' >"$dir/full.toml"
      printf 'include = ["**"]\n' >"$dir/include.toml"
      printf 'allow = ["CS999"]\n' >"$dir/unknown-rule.toml"
      printf 'ignore = ["a[", "{x,y"]\n' >"$dir/bad-glob.toml"
      printf '[expect]\n"*.pem" = "bundle"\n' >"$dir/bad-intent.toml" ;;
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
