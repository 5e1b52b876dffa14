#!/usr/bin/env bash
# Startup and footprint of the release binary (issue 17, item 4): for sled and RocksDB, an
# empty store and one with BLOCKS generated blocks, the time from process start until the
# ZeroMQ listener accepts a TCP connection, and the resident memory (VmRSS) after 5 s idle.
# Every node is a dev-chain node alone on 127.0.0.1, with no peers (the issue's idle node has
# 30 connected peers: not measured here). Prints one line per run.
#   scripts/footprint.sh [BLOCKS]      (default 100000; builds target/release/peerd if missing;
#                                       PEERD_BIN=path measures another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
blocks="${1:-100000}"
bin="${PEERD_BIN:-$PWD/target/release/peerd}"
[ -x "$bin" ] || cargo build --release -p peerd-node --bin peerd
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

for store in sled rocksdb; do
  for size in 0 "$blocks"; do
    dir="$work/$store-$size"
    mkdir -p "$dir"
    port=$(free_port)
    cat > "$dir/peerd.toml" <<EOF
[node]
chain = "dev"
data_dir = "$dir"

[[transports]]
kind = "zmq"
listen = ["127.0.0.1:$port"]
public_key = "$dir/peer.public"
private_key = "$dir/peer.private"

[store]
kind = "$store"
EOF
    "$bin" --config "$dir/peerd.toml" --log warn keys zmq --out "$dir" > /dev/null
    if [ "$size" != 0 ]; then
      "$bin" --config "$dir/peerd.toml" --log warn chain generate --blocks "$size" > /dev/null
    fi
    start=$(now_ms)
    "$bin" --config "$dir/peerd.toml" --log warn run > "$dir/log" 2>&1 &
    pid=$!
    # At most 30 s (a guard): try to connect, about every millisecond (bash's /dev/tcp).
    until (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; do
      if [ $(( $(now_ms) - start )) -gt 30000 ]; then
        echo "$store, $size blocks: not listening after 30 s" >&2
        cat "$dir/log" >&2
        kill "$pid"
        exit 1
      fi
    done
    listening=$(( $(now_ms) - start ))
    sleep 5
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    kill -TERM "$pid"
    wait "$pid" || true
    awk -v s="$store" -v n="$size" -v ms="$listening" -v kb="$rss" \
      'BEGIN { printf "%-8s %7s blocks: listening after %5d ms, idle RSS %6.1f MB\n", s, n, ms, kb / 1024 }'
  done
done
