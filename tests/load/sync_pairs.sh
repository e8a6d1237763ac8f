#!/bin/bash
# Alternated runs of two builds of the sync_ingest example (docs/benchmarks.md,
# the sync service's fifth pass): on this shared machine only runs side by side compare.
#   cargo build --release -p icaze-server --example sync_ingest   # once per build, copied aside
#   bash tests/load/sync_pairs.sh BEFORE_BINARY AFTER_BINARY
set -u
run() { echo -n "$(basename "$1") $2 "; env $2 DEVICES=8 "$1" 2>&1 | grep -E "records/s|index" | tr '\n' ' '; echo; }
echo "## quiet, 2M"; uptime
for i in 1 2 3 4 5 6; do for b in "$1" "$2"; do run "$b" RECORDS=2000000; done; done
echo "## RESEND=10, 2M"; uptime
for i in 1 2 3; do for b in "$1" "$2"; do run "$b" "RECORDS=2000000 RESEND=10"; done; done
echo "## 200k"; uptime
for i in 1 2 3 4 5 6; do for b in "$1" "$2"; do run "$b" RECORDS=200000; done; done
echo "## one busy loop beside, 2M"
sh -c 'while :; do :; done' & hog=$!
trap 'kill $hog' EXIT
uptime
for i in 1 2 3 4 5 6; do for b in "$1" "$2"; do run "$b" RECORDS=2000000; done; done
uptime
