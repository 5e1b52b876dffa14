#!/usr/bin/env bash
# Crash run for operators: SIGKILLs `peerd chain generate`, `db import-blocks`, `db delete-down`
# and a node syncing BLOCKS generated blocks from three peers (crash_sync.rs) at seeded random
# moments, KILLS times per store (sled and RocksDB), and runs `peerd db check` after every kill.
#   scripts/crash.sh [KILLS] [SEED] [BLOCKS]      (defaults: 50 kills, seed 1, 20,000 blocks)
# A failure prints the seed, the kill and its moment: rerun with that seed to replay it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PEERD_CRASH_KILLS="${1:-50}" PEERD_CRASH_SEED="${2:-1}" PEERD_CRASH_BLOCKS="${3:-20000}"
exec cargo test -p peerd-node --test it crash -- --nocapture --test-threads 1
