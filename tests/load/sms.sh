#!/bin/bash
# One run of the SMS service under load, as docs/benchmarks.md reports it: a fresh
# copy of a registry data directory, `icaze serve` on loopback, `icaze loadgen`
# against it, then each server thread's CPU time per permit (from /proc).
#
#   tests/load/sms.sh BIN COUNT TAG BASE_DIR      (KEEP=1 keeps the copied data directory)
#
# BASE_DIR is made once with `BIN registry demo --data BASE_DIR --count 10000000`.
# Output in OUT (default /tmp/icaze-load): lg-TAG.out (rates, percentiles), cpu-TAG.out.
set -euo pipefail
BIN=$1; COUNT=$2; TAG=$3; SRC=$4; PORT=${PORT:-8191}
OUT=${OUT:-/tmp/icaze-load}; mkdir -p "$OUT"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$OUT/D-$TAG; rm -rf "$D"; cp -r "$SRC" "$D"
"$BIN" serve --data "$D" --listen 127.0.0.1:$PORT --regime "$ROOT/regimes/2020-12-14.toml" --regime-start today \
    > "$OUT/serve-$TAG.log" 2>&1 &
SP=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz > /dev/null && break; sleep 0.2; done
L0=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/time -f "loadgen user %U sys %S" "$BIN" loadgen --server http://127.0.0.1:$PORT --count "$COUNT" \
    --connections 256 --interval 10 --sign-seconds 1 > "$OUT/lg-$TAG.out" 2>&1
L1=$(cut -d' ' -f1 /proc/loadavg)
TCK=$(getconf CLK_TCK)
for t in /proc/$SP/task/*; do
    s=($(sed 's/.*) //' "$t/stat")); echo "$(cat "$t/comm") $((s[11] + s[12]))"
done | awk -v c="$COUNT" -v t="$TCK" '{a[$1]+=$2} END {for (k in a) printf "%s %.1f us/permit\n", k, a[k]/t*1e6/c}' \
    > "$OUT/cpu-$TAG.out"
kill -INT $SP; wait $SP || true
echo "load $L0 -> $L1" >> "$OUT/cpu-$TAG.out"
[ -n "${KEEP:-}" ] || rm -rf "$D"
