#!/bin/bash
# What each index of the inspections table costs an ingest, in sqlite3 alone
# (docs/benchmarks.md, the sync service's fifth pass): rows of the table's
# shape from 8 devices, in transactions of 500, into a fresh WAL database.
#   bash tests/load/sync_indexes.sh VARIANT BATCHES_PER_DEVICE
# VARIANT: A both indexes (schema 3), B only UNIQUE (device, seq) (schema 4),
#          C only (precinct, at), D neither. 250 batches a device = 1 million rows.
set -eu
v=$1; NB=$2
dir=${TMPDIR:-/tmp}/icaze-sync-indexes; mkdir -p "$dir"
uniq=""; idx=""
case $v in
  A) uniq=", UNIQUE (device, seq)"; idx="CREATE INDEX ipa ON inspections (precinct, at);";;
  B) uniq=", UNIQUE (device, seq)";;
  C) idx="CREATE INDEX ipa ON inspections (precinct, at);";;
  D) ;;
  *) echo "variant A, B, C or D" >&2; exit 2;;
esac
{
echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
echo "CREATE TABLE inspections (id INTEGER PRIMARY KEY, device INTEGER NOT NULL, seq INTEGER NOT NULL, precinct INTEGER NOT NULL, at INTEGER NOT NULL, officer TEXT NOT NULL, zone INTEGER NOT NULL, input NOT NULL, display, gap_prev_hash BLOB, hash BLOB NOT NULL, body BLOB NOT NULL, received_at INTEGER NOT NULL, channel NOT NULL $uniq); $idx"
echo "CREATE TEMP TABLE src AS SELECT value AS k, randomblob(150) AS body, randomblob(32) AS hash FROM generate_series(1,500);"
for b in $(seq 0 $((NB-1))); do for d in 0 1 2 3 4 5 6 7; do
echo "BEGIN; INSERT INTO inspections (device, seq, precinct, at, officer, zone, input, display, gap_prev_hash, hash, body, received_at, channel) SELECT $d, $b*500+k, 1, 26000000+($b*500+k)/10, 'B-1042', 3, 1, 1, NULL, hash, body, 26000000, 1 FROM src; COMMIT;"
done; done
} > "$dir/$v.sql"
rm -f "$dir/$v.db" "$dir/$v.db-wal" "$dir/$v.db-shm"
s=$(date +%s.%N); sqlite3 "$dir/$v.db" < "$dir/$v.sql" > /dev/null; e=$(date +%s.%N)
python3 -c "print('$v', $NB*8*500, 'rows', round($NB*8*500/($e-$s)), 'rows/s')"
rm -f "$dir/$v.db" "$dir/$v.db-wal" "$dir/$v.db-shm" "$dir/$v.sql"
