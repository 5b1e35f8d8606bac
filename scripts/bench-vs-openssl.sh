#!/usr/bin/env bash
# Time chainsmith against the openssl way of doing the same work, as whole
# processes, in alternating runs (hyperfine). Prints a table of medians and
# the ratio chainsmith/openssl per task.
#
#   scripts/bench-vs-openssl.sh            # all tasks
#   RUNS=5 scripts/bench-vs-openssl.sh     # fewer runs of the slow scripts
#
# Installs hyperfine from Debian's packages when missing. Uses the release
# build (cargo build --release). Results belong in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
runs=${RUNS:-10}
slow_runs=${SLOW_RUNS:-3}

if ! command -v hyperfine >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null
fi
cargo build --release -q
cs=$repo/target/release/chainsmith
store=${SYSTEM_STORE:-/etc/ssl/certs/ca-certificates.crt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv
: > "$results"

# hyperfine NAME RUNS CMD_CHAINSMITH CMD_OPENSSL [PREPARE]
bench() {
  local name=$1 n=$2 a=$3 b=$4 prep=${5:-true}
  hyperfine -N --style none --warmup 1 --runs "$n" --prepare "$prep" \
    --export-json "$work/$name.json" -n chainsmith "$a" -n openssl "$b" >/dev/null 2>&1 \
  || hyperfine --style none --warmup 1 --runs "$n" --prepare "$prep" \
    --export-json "$work/$name.json" -n chainsmith "$a" -n openssl "$b" >/dev/null
  python3 - "$work/$name.json" "$name" >> "$results" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["chainsmith"]["median"], r["openssl"]["median"]
print(f"{sys.argv[2]}\t{a*1000:.1f}\t{b*1000:.1f}\t{a/b:.4f}\t{b/a:.1f}")
PY
}

printf 'bench-pw\n' > "$work/pw"

# 1. A whole chain with every file: three keys, three certificates, DER, PFX, bundles.
cat > "$work/openssl-chain.sh" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
alg=$1; out=$2; pw=$3
rm -rf "$out"; mkdir -p "$out"; cd "$out"
case $alg in
  ec) kopt=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256) ;;
  rsa2048) kopt=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048) ;;
  rsa4096) kopt=(-algorithm RSA -pkeyopt rsa_keygen_bits:4096) ;;
esac
for n in root intermediate server; do openssl genpkey "${kopt[@]}" -out $n.key 2>/dev/null; done
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' > root.ext
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > int.ext
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.com\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > srv.ext
openssl req -new -key root.key -subj '/CN=Root' -out root.csr
openssl x509 -req -in root.csr -signkey root.key -days 3650 -extfile root.ext -out root.crt 2>/dev/null
openssl req -new -key intermediate.key -subj '/CN=Intermediate' -out int.csr
openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial -days 1825 -extfile int.ext -out intermediate.crt 2>/dev/null
openssl req -new -key server.key -subj '/CN=www.example.com' -out srv.csr
openssl x509 -req -in srv.csr -CA intermediate.crt -CAkey intermediate.key -CAcreateserial -days 397 -extfile srv.ext -out server.crt 2>/dev/null
openssl x509 -in root.crt -outform DER -out root.cer
openssl x509 -in intermediate.crt -outform DER -out intermediate.cer
cat server.crt intermediate.crt > server-fullchain.crt
cat intermediate.crt root.crt > ca-bundle.crt
openssl pkcs12 -export -inkey server.key -in server.crt -certfile intermediate.crt -passout "file:$pw" \
  -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -out server.pfx
SH
chmod +x "$work/openssl-chain.sh"
for kt in ec-p256:ec rsa-2048:rsa2048 rsa-4096:rsa4096; do
  cs_kt=${kt%%:*}; os_kt=${kt##*:}
  n=$runs; [ "$os_kt" = rsa4096 ] && n=$slow_runs
  bench "chain-$cs_kt" "$n" \
    "$cs generate --quiet --force --key-type $cs_kt --san www.example.com --password-file $work/pw -o $work/cs-chain" \
    "$work/openssl-chain.sh $os_kt $work/os-chain $work/pw"
done

# 2. Lint the system store: split, print, verify every certificate against the rest.
mkdir -p "$work/split"
awk -v d="$work/split" '/BEGIN CERT/{n++} {print > (d "/c" n ".pem")}' "$store"
cat > "$work/openssl-lint-batch.sh" <<SH
#!/usr/bin/env bash
openssl storeutl -noout -text -certs "$store" >/dev/null
openssl verify -CAfile "$store" $work/split/*.pem >/dev/null 2>&1 || true
SH
cat > "$work/openssl-lint-loop.sh" <<SH
#!/usr/bin/env bash
for f in $work/split/*.pem; do
  openssl x509 -in "\$f" -noout -text >/dev/null
  openssl verify -CAfile "$store" "\$f" >/dev/null 2>&1 || true
done
SH
chmod +x "$work"/openssl-lint-*.sh
bench system-store-lint-batch "$runs" "$cs lint --quiet --exit-zero --expect ca-bundle $store" "$work/openssl-lint-batch.sh"
bench system-store-lint-loop "$slow_runs" "$cs lint --quiet --exit-zero --expect ca-bundle $store" "$work/openssl-lint-loop.sh"

# 3. PEM -> DER for every certificate of the system store.
cat > "$work/openssl-der.sh" <<SH
#!/usr/bin/env bash
rm -rf $work/os-der; mkdir -p $work/os-der
i=0; for f in $work/split/*.pem; do i=\$((i+1)); openssl x509 -in "\$f" -outform DER -out $work/os-der/\$i.cer; done
SH
chmod +x "$work/openssl-der.sh"
bench system-store-to-der "$slow_runs" "$cs convert --quiet --force --to der -o $work/cs-der $store" "$work/openssl-der.sh" "rm -rf $work/cs-der"

# 4. A pre-commit scan of 1,000 PEM files (2,700 certificates, a few CAs repeated).
scan=$work/scan; mkdir -p "$scan"
"$cs" generate --quiet --san seed.example.com -o "$work/ca" >/dev/null
for i in $(seq 1 100); do
  "$cs" issue --quiet --ca "$work/ca/intermediate.crt" --ca-key "$work/ca/intermediate.key" \
    --san "host$i.example.com" --name "leaf$i" -o "$work/leaves" >/dev/null
done
for i in $(seq 1 1000); do
  l=$(( (i % 100) + 1 ))
  if [ $((i % 10)) -lt 7 ]; then
    cat "$work/leaves/leaf$l.crt" "$work/ca/intermediate.crt" "$work/ca/root.crt" > "$scan/f$i.pem"
  else
    cat "$work/leaves/leaf$l.crt" "$work/ca/intermediate.crt" > "$scan/f$i.pem"
  fi
done
cat > "$work/openssl-scan.sh" <<SH
#!/usr/bin/env bash
for f in $scan/*.pem; do
  openssl verify -CAfile "$work/ca/root.crt" -untrusted "\$f" "\$f" >/dev/null 2>&1 || true
done
SH
chmod +x "$work/openssl-scan.sh"
bench precommit-1000-files "$slow_runs" "$cs lint --quiet --exit-zero $scan" "$work/openssl-scan.sh"

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "openssl: $(openssl version)"
printf '%-28s %12s %12s %10s %10s\n' task chainsmith_ms openssl_ms ratio speedup
while IFS=$'\t' read -r name a b r s; do
  printf '%-28s %12s %12s %10s %9sx\n' "$name" "$a" "$b" "$r" "$s"
done < "$results"
