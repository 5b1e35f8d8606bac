#!/usr/bin/env bash
# Time `chainsmith rotate root` (EC P-256: a new root, both cross
# certificates, a new intermediate, the re-issued leaf and every file)
# against openssl doing the same work, as whole processes, in one hyperfine
# call. Target (issue 17): rotate ≤ 15 ms. Prints the medians and the ratio.
#
#   scripts/bench-rotate.sh             # 30 runs each
#   RUNS=60 scripts/bench-rotate.sh
#
# Uses the release build (cargo build --release). Results belong in
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
runs=${RUNS:-30}
for tool in openssl hyperfine python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench-rotate: $tool is not installed (apt-get install $tool)" >&2
    exit 2
  fi
done
cargo build --release -q
cs=$repo/target/release/chainsmith
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cs" generate --san www.example.com --san 127.0.0.1 -o "$work/chain" >/dev/null

# The openssl way: three new keys, the new root, NewWithOld and OldWithNew
# (the same key and subject as a root, signed by the other root), the
# intermediate and the leaf, both DER files, both bundles and the three
# served chains.
cat > "$work/openssl-rotate.sh" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
old=$1; out=$2
mkdir -p "$out"; cd "$out"
k=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
for n in root intermediate server; do openssl genpkey "${k[@]}" -out $n.key 2>/dev/null; done
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ca.ext
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,digitalSignature,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > int.ext
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.com,IP:127.0.0.1\nauthorityKeyIdentifier=keyid\n' > leaf.ext
openssl req -new -x509 -key root.key -subj "/CN=chainsmith Root CA G2" -days 3650 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out root.crt
openssl req -new -key root.key -subj "/CN=chainsmith Root CA G2" -out root.csr
openssl x509 -req -in root.csr -CA "$old/root.crt" -CAkey "$old/root.key" -days 3650 -extfile ca.ext -out new-root-signed-by-old.crt 2>/dev/null
# OldWithNew keeps the old root's subjectKeyIdentifier, or the old
# intermediate's authorityKeyIdentifier would not match it.
ski=$(openssl x509 -in "$old/root.crt" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
sed "s/subjectKeyIdentifier=hash/subjectKeyIdentifier=$ski/" ca.ext > own.ext
openssl req -new -key "$old/root.key" -subj "/CN=chainsmith Root CA" -out old.csr
openssl x509 -req -in old.csr -CA root.crt -CAkey root.key -days 3650 -extfile own.ext -out old-root-signed-by-new.crt 2>/dev/null
openssl req -new -key intermediate.key -subj "/CN=chainsmith Intermediate CA G2" -out int.csr
openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -days 1825 -extfile int.ext -out intermediate.crt 2>/dev/null
openssl req -new -key server.key -subj "/CN=www.example.com" -out server.csr
openssl x509 -req -in server.csr -CA intermediate.crt -CAkey intermediate.key -days 397 -extfile leaf.ext -out server.crt 2>/dev/null
openssl x509 -in root.crt -outform DER -out root.cer
openssl x509 -in intermediate.crt -outform DER -out intermediate.cer
cat server.crt intermediate.crt > server-fullchain.crt
cat server.crt intermediate.crt new-root-signed-by-old.crt > server-fullchain-overlap.crt
cat "$old/server.crt" "$old/intermediate.crt" old-root-signed-by-new.crt > old-server-fullchain-bridged.crt
cat intermediate.crt "$old/intermediate.crt" root.crt "$old/root.crt" > ca-bundle-transition.crt
cat intermediate.crt root.crt > ca-bundle.crt
rm -f ./*.csr ./*.ext
SH
chmod +x "$work/openssl-rotate.sh"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine -N --style none --warmup 2 --runs "$runs" \
  --prepare "rm -rf $work/cs $work/os" \
  --export-json "$work/r.json" \
  -n chainsmith "$cs rotate root --from $work/chain -o $work/cs -q" \
  -n openssl "$work/openssl-rotate.sh $work/chain $work/os" >/dev/null
# Both did the work: run each once more (the --prepare of the last runs
# removed the other's output), then the cross certificates must verify.
rm -rf "$work/cs" "$work/os"
"$cs" rotate root --from "$work/chain" -o "$work/cs" -q >/dev/null
"$work/openssl-rotate.sh" "$work/chain" "$work/os"
for d in cs os; do
  openssl verify -CAfile "$work/chain/root.crt" -untrusted "$work/$d/server-fullchain-overlap.crt" \
    "$work/$d/server.crt" >/dev/null
  openssl verify -CAfile "$work/$d/root.crt" -untrusted "$work/$d/old-server-fullchain-bridged.crt" \
    "$work/chain/server.crt" >/dev/null
done
python3 - "$work/r.json" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" "$runs" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["chainsmith"], r["openssl"]
print(f"rotate root, ec-p256, every file ({sys.argv[4]} runs each; load {sys.argv[2]} -> {sys.argv[3]})")
print(f"| chainsmith median | min | openssl median | ratio cs/openssl | target | met? |")
print(f"| {a['median']*1000:.1f} ms | {a['min']*1000:.1f} ms | {b['median']*1000:.1f} ms | {a['median']/b['median']:.3f} ({b['median']/a['median']:.1f}x faster) | <= 15 ms | {'yes' if a['median'] <= 0.015 else 'no'} |")
PY
