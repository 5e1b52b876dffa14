#!/usr/bin/env bash
# Installs the system packages peerd needs to build, if any are missing (Debian/Ubuntu).
#
#   libclang-dev  RocksDB's Rust bindings are generated with bindgen, which needs libclang.
#   libzmq3-dev   the ZeroMQ transport links the system libzmq (built with libsodium: CURVE works).
#   pkg-config    finds libzmq.
#   g++           compiles the bundled RocksDB.
#   nodejs, npm   run the js-libp2p interop client (tests/interop), whose packages are
#                 installed with `npm ci` from its package-lock.json.
#   cargo-fuzz    runs the fuzz targets in fuzz/ (scripts/fuzz.sh), from crates.io.
#
# Safe to run repeatedly: it only calls apt-get when something is missing.
set -euo pipefail

packages=(libclang-dev libzmq3-dev pkg-config g++)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: system packages present (${packages[*]})"
else
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The interop client's packages, again only when missing or older than the lock file.
interop="$(dirname "$0")/../tests/interop"
stamp="$interop/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$interop/package-lock.json" -nt "$stamp" ]; then
    echo "setup: installing the interop client's npm packages"
    npm ci --prefix "$interop" --no-audit --no-fund --loglevel=error
fi

# cargo-fuzz (libFuzzer) for `scripts/fuzz.sh`, pinned so that every machine runs the same.
fuzz_version="0.13.2"
if ! cargo fuzz --version 2>/dev/null | grep -q "$fuzz_version"; then
    echo "setup: installing cargo-fuzz $fuzz_version"
    cargo install cargo-fuzz --version "$fuzz_version" --locked --quiet
fi
