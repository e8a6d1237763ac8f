#!/usr/bin/env bash
# The SMS service end to end, one after the other on this machine: on the embedded
# SQLite, on PostgreSQL with one instance, and with two instances behind HAProxy
# (docs/scaling.md). Permits/s and latency from `icaze loadgen`, and the CPU a
# permit of the instances and of PostgreSQL's processes from /proc.
#
#   cargo build --release -p icaze && COUNT=20000 bash tests/load/sms-scale.sh
#
# Needs Debian's postgresql and haproxy (as .ci/run installs them) and root (the
# cluster runs as `nobody`). A measurement, not a test: CI does not run it.
set -u
cd "$(dirname "$0")/../.."
ICAZE=$PWD/target/release/icaze
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
REGIME=$PWD/regimes/2020-12-14.toml
COUNT=${COUNT:-20000}
W=$(mktemp -d /tmp/scale-XXXX); chmod 755 $W
mkdir $W/pg && chown nobody: $W/pg
asn() { runuser -u nobody -- "$@"; }
asn $PGBIN/initdb -D $W/pg/data --auth=trust -U postgres --no-sync >/dev/null
asn $PGBIN/pg_ctl start -w -D $W/pg/data -l $W/pg/log -o "-c listen_addresses=127.0.0.1 -c port=55432 -c unix_socket_directories=$W/pg -c max_connections=300 -c shared_buffers=128MB" >/dev/null
$PGBIN/psql -X -q -h 127.0.0.1 -p 55432 -U postgres -c "CREATE DATABASE icaze"
URL=postgres://postgres@127.0.0.1:55432/icaze
$ICAZE keys init --keys $W/keys >/dev/null
$ICAZE registry demo --data $W/sqlite --count $((COUNT*3)) >/dev/null
$ICAZE registry demo --database $URL --count $((COUNT*3)) >/dev/null
cpu_of() { local t=0; for p in "$@"; do read -r -a f < <(sed 's/.*) //' /proc/$p/stat 2>/dev/null) && t=$((t + f[11] + f[12])); done; echo $t; }
pg_pids() { pgrep -u nobody -f "postgres" | tr '\n' ' '; }
serve() { # name port [database]
  local extra=(); [ -n "${3:-}" ] && extra=(--database "$3")
  $ICAZE serve --data $W/$1 --keys $W/keys --listen 127.0.0.1:$2 --regime $REGIME --regime-start today "${extra[@]}" > $W/$1.out 2> $W/$1.err &
  echo $! > $W/$1.pid
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$2/healthz >/dev/null && return; sleep 0.2; done; echo "$1 did not start"; cat $W/$1.err; exit 1
}
run() { # label url first serve-pids...
  local label=$1 url=$2 first=$3; shift 3
  local s0=$(cpu_of "$@") p0=$(cpu_of $(pg_pids))
  $ICAZE loadgen --server $url --count $COUNT --connections 64 --first-document $first > $W/$label.load 2>&1
  local s1=$(cpu_of "$@") p1=$(cpu_of $(pg_pids))
  local permits=$(grep -o "([0-9]* permits" $W/$label.load | grep -o "[0-9]*")
  echo "== $label: $(grep 'permits/s overall' $W/$label.load); $(grep 'latency (all' $W/$label.load)"
  echo "   service CPU $(( (s1-s0)*10000 / (permits>0?permits:1) )) µs/permit, PostgreSQL CPU $(( (p1-p0)*10000 / (permits>0?permits:1) )) µs/permit ($permits permits)"
}
serve sqlite 18100
run sqlite http://127.0.0.1:18100 50000000 $(cat $W/sqlite.pid)
kill $(cat $W/sqlite.pid); wait $(cat $W/sqlite.pid) 2>/dev/null
serve a 18101 $URL
run pg-one http://127.0.0.1:18101 $((50000000+COUNT)) $(cat $W/a.pid)
serve b 18102 $URL
cat > $W/haproxy.cfg <<CFG
global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend front
    bind 127.0.0.1:18110
    default_backend icaze
backend icaze
    balance roundrobin
    option httpchk GET /healthz
    server s0 127.0.0.1:18101 check
    server s1 127.0.0.1:18102 check
CFG
/usr/sbin/haproxy -db -f $W/haproxy.cfg > $W/haproxy.log 2>&1 & HP=$!
sleep 2
run pg-two http://127.0.0.1:18110 $((50000000+2*COUNT)) $(cat $W/a.pid) $(cat $W/b.pid)
echo "   haproxy CPU: $(cpu_of $HP) ticks in all"
kill $HP $(cat $W/a.pid) $(cat $W/b.pid) 2>/dev/null; sleep 1
asn $PGBIN/pg_ctl stop -m fast -D $W/pg/data >/dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf $W
