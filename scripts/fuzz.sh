#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer) on the targets in fuzz/ (docs/fuzzing.md).
#   scripts/fuzz.sh smoke [SECONDS]        every target for SECONDS (default 3) on its corpus;
#                                          what CI runs. Fails on the first crash.
#   scripts/fuzz.sh long [RUNS] [SECONDS]  every target until RUNS executions (default
#                                          10,000,000) or SECONDS (default 1800), whichever
#                                          comes first; one line of figures per target.
#   scripts/fuzz.sh TARGET [ARGS...]       one target, libFuzzer's own arguments after it.
# Builds without a sanitizer (-s none): the code under test has no unsafe of its own, and
# this works on the stable toolchain. A crash leaves its input in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
fuzz() { cargo fuzz "$@"; }
build() { fuzz build -s none; }
run() {
    local target=$1; shift
    fuzz run -s none "$target" "corpus/$target" -- -rss_limit_mb=4096 -print_final_stats=1 "$@"
}
case "${1:-smoke}" in
smoke)
    seconds="${2:-3}"
    build
    # New inputs go to a scratch directory (libFuzzer writes to the first one it is given), so
    # a smoke run leaves the committed corpus as it is.
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    for target in $(fuzz list); do
        echo "fuzz: $target for ${seconds} s"
        mkdir -p "$scratch/$target"
        fuzz run -s none "$target" "$scratch/$target" "corpus/$target" -- -rss_limit_mb=4096 \
            -print_final_stats=1 -max_total_time="$seconds" 2>&1 |
            grep -E '^Done|stat::number_of_executed_units' || { echo "fuzz: $target failed"; exit 1; }
    done
    ;;
long)
    runs="${2:-10000000}" seconds="${3:-1800}"
    build
    for target in $(fuzz list); do
        start=$(date +%s)
        done_line=$(run "$target" -runs="$runs" -max_total_time="$seconds" 2>&1 | grep -E '^Done' || true)
        echo "fuzz: $target: ${done_line:-CRASHED, see fuzz/artifacts/$target} ($(( $(date +%s) - start )) s)"
    done
    ;;
*)
    build
    run "$@"
    ;;
esac
