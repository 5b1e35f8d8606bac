# Sourced by the benchmark scripts: serve a chainsmith chain with openssl.
#
# start_s_server CHAIN_DIR: `openssl s_server -www` on a random port of
# 127.0.0.1, serving CHAIN_DIR/server.crt, its key and the intermediate, and
# wait (at most 5 s) until `$cs probe` gets an answer from it. Sets `port`
# and `server_pid`; the caller's EXIT trap kills `server_pid`.
start_s_server() {
  local chain=$1
  port=$((20000 + RANDOM % 20000))
  openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$chain/server.crt" \
    -key "$chain/server.key" -cert_chain "$chain/intermediate.crt" -www >/dev/null 2>&1 &
  server_pid=$!
  for _ in $(seq 1 50); do
    if "$cs" probe --quiet --exit-zero --timeout 2 --sni localhost "127.0.0.1:$port" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "openssl s_server did not answer on 127.0.0.1:$port" >&2
  return 2
}
