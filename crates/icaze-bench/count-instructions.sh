#!/usr/bin/env bash
# Instructions per call of each benchmarked operation, counted by Valgrind
# (cachegrind, no cache simulation): unlike wall time on a shared machine, the
# count does not move with load, CPU frequency or code alignment.
# Usage: crates/icaze-bench/count-instructions.sh [CALLS]   (needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=${1:-200}
cargo build --quiet --release -p icaze-bench --example instructions
bin=target/release/examples/instructions
refs() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$bin" "$1" "$calls" 2>&1 \
        | awk '/I +refs/ { gsub(",", "", $4); print $4 }'
}
base=$(refs nothing)
echo "| operation | instructions per call |"
echo "| --- | ---: |"
for op in icaze-verify icaze-verify-qr raw-verify icaze-parse paseto-verify jwt-verify hc1-verify \
          icaze-sign raw-sign paseto-sign jwt-sign hc1-sign; do
    echo "| $op | $(( ($(refs "$op") - base) / calls )) |"
done
