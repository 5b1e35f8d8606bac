#!/usr/bin/env bash
# Time chainsmith against the openssl way of doing the same work, as whole
# processes, back to back in one hyperfine call per task (hyperfine does
# all runs of one command, then the other's). Prints a table of medians and
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

if ! command -v openssl >/dev/null; then
  echo "bench-vs-openssl: openssl is not installed; nothing to compare against" >&2
  exit 2
fi
if ! command -v hyperfine >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; } || true
fi
if ! command -v hyperfine >/dev/null; then
  echo "bench-vs-openssl: hyperfine is missing and could not be installed (apt-get install hyperfine)" >&2
  exit 2
fi
if ! command -v python3 >/dev/null; then
  echo "bench-vs-openssl: python3 is needed to read hyperfine's JSON" >&2
  exit 2
fi
cargo build --release -q
cs=$repo/target/release/chainsmith
store=${SYSTEM_STORE:-/etc/ssl/certs/ca-certificates.crt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv
: > "$results"

# bench NAME RUNS CMD_CHAINSMITH CMD_OPENSSL [PREPARE]
# hyperfine runs the two commands in turn (-N: no shell in between; the
# openssl side is a script, so it pays for its own bash). A command that fails
# fails the task: it is reported as FAILED, never as a figure.
failed=0
bench() {
  local name=$1 n=$2 a=$3 b=$4 prep=${5:-true}
  echo "== $name ($n runs each)" >&2
  if ! hyperfine -N --style none --warmup 1 --runs "$n" --prepare "$prep" \
    --export-json "$work/$name.json" -n chainsmith "$a" -n openssl "$b" >/dev/null; then
    printf '%s\tFAILED\tFAILED\t-\t-\n' "$name" >> "$results"
    failed=1
    return 0
  fi
  python3 - "$work/$name.json" "$name" >> "$results" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["chainsmith"]["median"], r["openssl"]["median"]
print(f"{sys.argv[2]}\t{a*1000:.1f}\t{b*1000:.1f}\t{a/b:.4f}\t{b/a:.1f}")
PY
}

printf 'bench-pw\n' > "$work/pw"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

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
cat > "$work/openssl-scan-2p.sh" <<SH
#!/usr/bin/env bash
# the same loop, the files split between two processes (one per core)
half() { for f in "\$@"; do openssl verify -CAfile "$work/ca/root.crt" -untrusted "\$f" "\$f" >/dev/null 2>&1 || true; done; }
files=($scan/*.pem); n=\${#files[@]}
half "\${files[@]:0:n/2}" &
half "\${files[@]:n/2}"
wait
SH
chmod +x "$work"/openssl-scan*.sh
# --trust: chainsmith also checks every file's chain up to the same root.
scan_cmd="$cs lint --quiet --exit-zero --trust $work/ca/root.crt $scan"
bench precommit-1000-files "$slow_runs" "$scan_cmd" "$work/openssl-scan.sh"
bench precommit-1000-files-2proc "$slow_runs" "$scan_cmd" "$work/openssl-scan-2p.sh"

echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (at the start: $load_start)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "openssl: $(openssl version)"
printf '%-28s %12s %12s %10s %10s\n' task chainsmith_ms openssl_ms ratio speedup
while IFS=$'\t' read -r name a b r s; do
  printf '%-28s %12s %12s %10s %9sx\n' "$name" "$a" "$b" "$r" "$s"
done < "$results"
exit "$failed"
