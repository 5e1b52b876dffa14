#!/usr/bin/env bash
# Installs the system packages peerd needs to build, if any are missing (Debian/Ubuntu).
#
#   libclang-dev  RocksDB's Rust bindings are generated with bindgen, which needs libclang.
#   libzmq3-dev   the ZeroMQ transport links the system libzmq (built with libsodium: CURVE works).
#   pkg-config    finds libzmq.
#   g++           compiles the bundled RocksDB.
#
# Safe to run repeatedly: it only calls apt-get when something is missing.
set -euo pipefail

packages=(libclang-dev libzmq3-dev pkg-config g++)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: system packages present (${packages[*]})"
    exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
