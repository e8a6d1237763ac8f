#!/bin/bash
# The population registry replaced whole over HTTP, as docs/benchmarks.md reports it:
# `icaze up` (SQLite) on loopback, a `people` feed credential, then two
# `PUT /v1/registries/people` of ROWS people each (the first forced over the demo
# registry, the second 0.5 % gone, 0.5 % new, every tenth moved, as
# crates/icaze-postgres/examples/replace_people.rs writes them), each followed to its
# job's end (the files are kept in OUT for the next run). Printed for each: the answer's code and time (the upload and load), the
# time to the job's end, the server's CPU and peak RSS (VmHWM, reset before each PUT),
# and the slowest /healthz answered during the job.
#
#   tests/load/replace-people-http.sh BIN [ROWS]     (default 10000000; OUT=/tmp/icaze-replace)
set -euo pipefail
BIN=$1; ROWS=${2:-10000000}; PORT=${PORT:-18103}; A=127.0.0.1:$PORT
OUT=${OUT:-/tmp/icaze-replace}; mkdir -p "$OUT"; D=$OUT/data; rm -rf "$D"
[ -s "$OUT/b-$ROWS.csv" ] || python3 - "$ROWS" "$OUT" <<'PY'
import sys
rows, out = int(sys.argv[1]), sys.argv[2]
scatter = 7_777_777  # prime to any power of ten: a scattered order, not sorted
def write(path, first, shift):
    with open(path, "w", buffering=1 << 20) as f:
        f.write("document,birth_date,zone\n")
        chunk = []
        for i in range(rows):
            n = first + (i * scatter) % rows
            chunk.append(f"AZE{10_000_000 + n:08},{1930 + n % 80}-{1 + n % 12:02}-{1 + n % 28:02},{1 + (n + shift(n)) % 17}\n")
            if len(chunk) == 100_000:
                f.write("".join(chunk)); chunk.clear()
        f.write("".join(chunk))
write(f"{out}/a-{rows}.csv", 0, lambda n: 0)
write(f"{out}/b-{rows}.csv", rows // 200, lambda n: 1 if n % 10 == 0 else 0)
PY
"$BIN" up --data "$D" --listen $A --no-app > "$OUT/up.log" 2>&1 &
UP=$!
trap 'kill $UP 2>/dev/null; wait $UP 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -sf http://$A/healthz > /dev/null && break; sleep 0.5; done
PID=$UP
T=$("$BIN" admin feed add --agency population --registry people --server http://$A --token-file "$D/admin-token" \
    | grep -oE '[0-9a-f]{64}' | head -1)
cpu() { awk '{print ($14 + $15) / 100}' /proc/$PID/stat; }
now() { date +%s.%N; }
put() { # FILE QUERY
    echo 5 > /proc/$PID/clear_refs
    local c0 t0 t1 t2 out loc job state probe
    # The service keeps answering: /healthz five times a second through the whole PUT and job.
    (while :; do curl -s -o /dev/null -w '%{time_total}\n' http://$A/healthz; sleep 0.2; done) > "$OUT/healthz" &
    probe=$!
    c0=$(cpu); t0=$(now)
    out=$(curl -s -D "$OUT/headers" -o "$OUT/body" -w '%{http_code}' -X PUT -H "Authorization: Bearer $T" \
        -H 'Content-Type: text/csv' --data-binary @"$1" "http://$A/v1/registries/people$2")
    t1=$(now)
    loc=$(grep -i '^location:' "$OUT/headers" | tr -d '\r' | awk '{print $2}')
    while :; do
        job=$(curl -s -H "Authorization: Bearer $T" "http://$A$loc")
        state=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])' <<< "$job")
        case $state in loading | comparing) sleep 1 ;; *) break ;; esac
    done
    t2=$(now)
    kill $probe; wait $probe 2>/dev/null || true
    echo "$job"
    python3 -c "print(f'$(basename "$1"): $out after {$t1 - $t0:.1f} s, $state after {$t2 - $t0:.1f} s, server CPU {$(cpu) - $c0:.1f} s')"
    grep -E 'VmHWM' /proc/$PID/status
    sort -n "$OUT/healthz" | awk '{t[NR] = $1} END {printf "/healthz during it: %d answers, median %.4f s, slowest %.4f s\n", NR, t[int((NR + 1) / 2)], t[NR]}'
    echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
put "$OUT/a-$ROWS.csv" '?force=true'
put "$OUT/b-$ROWS.csv" ''
du -cb "$D"/registry.db* | tail -1 | awk '{printf "registry.db with WAL: %.0f MiB\n", $1 / 1048576}'
