#!/usr/bin/env bash
# Ordinary SQL through genaiproxy versus a direct connection and HAProxy (TCP
# mode): sysbench oltp_point_select and oltp_read_only at 1, 16 and 64 threads
# against a private MariaDB. Prints throughput (transactions/s) and ratios.
# Target: the proxy's ratio to direct is at least 0.9 x HAProxy's.
#
# Usage: bench/sysbench.bench.sh [BUILD_DIR]
# Environment: SYSBENCH_TIME (seconds per cell, default 5),
#              SYSBENCH_THREADS (default "1 16 64"),
#              SYSBENCH_TESTS (default "oltp_point_select oltp_read_only"),
#              SYSBENCH_PS_MODE (auto: prepared statements, as sysbench does by
#              default; disable: text protocol only),
#              SYSBENCH_BASELINE (another genaiproxy binary, e.g. the previous
#              release: run too, cell by cell, and compared in a second table).
set -euo pipefail

BUILD_DIR=$(realpath "${1:-${BUILD_DIR:-build}}")
SOURCE_DIR=${SOURCE_DIR:-$(realpath "$(dirname "$0")/..")}
BINARY="$BUILD_DIR/genaiproxy"
PYTHON=/usr/bin/python3
TIME=${SYSBENCH_TIME:-5}
THREADS=${SYSBENCH_THREADS:-"1 16 64"}
TESTS=${SYSBENCH_TESTS:-"oltp_point_select oltp_read_only"}
PS_MODE=${SYSBENCH_PS_MODE:-auto}
BASELINE=${SYSBENCH_BASELINE:-}
TABLE_SIZE=10000

for tool in sysbench haproxy mariadbd; do
  command -v "$tool" >/dev/null || { echo "sysbench.bench: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$BINARY" ] || { echo "sysbench.bench: $BINARY not built" >&2; exit 1; }

work=$(mktemp -d /tmp/gp-sysbench-XXXXXX)
proxy_pid=""
baseline_pid=""
haproxy_pid=""
cleanup() {
  set +e
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
  [ -n "$baseline_pid" ] && kill "$baseline_pid" 2>/dev/null && wait "$baseline_pid" 2>/dev/null
  [ -n "$haproxy_pid" ] && kill "$haproxy_pid" 2>/dev/null && wait "$haproxy_pid" 2>/dev/null
  "$PYTHON" "$SOURCE_DIR/tests/integration/mariadb.py" stop "$work/mariadb" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "sysbench.bench: port $1 did not open" >&2
  return 1
}

db_port=$("$PYTHON" "$SOURCE_DIR/tests/integration/mariadb.py" start "$work/mariadb")
mariadb --no-defaults -h127.0.0.1 -P"$db_port" -uapp -psecret -e "CREATE DATABASE IF NOT EXISTS sbtest"

start_proxy() {  # start_proxy BINARY NAME: prints the client port; the pid is in $work/NAME.pid
  local port admin
  port=$(free_port)
  admin=$(free_port)
  cat >"$work/$2.cnf" <<CNF
datadir="$work/$2"
admin_variables =
{
    admin_credentials = "admin:admin"
    mysql_ifaces = "127.0.0.1:$admin"
}
mysql_variables =
{
    threads = 2
    interfaces = "127.0.0.1:$port"
}
genai_variables =
{
    embedding_uri = "lexical:"
    rerank_uri = "lexical:"
}
mysql_users =
(
    { username = "app", password = "secret", default_hostgroup = 0 }
)
mysql_servers =
(
    { address = "127.0.0.1", port = $db_port, hostgroup = 0, max_connections = 500 }
)
CNF
  mkdir -p "$work/$2"
  "$1" --config "$work/$2.cnf" --datadir "$work/$2" --initial >"$work/$2.log" 2>&1 &
  echo $! >"$work/$2.pid"
  wait_port "$port"
  echo "$port"
}
proxy_port=$(start_proxy "$BINARY" proxy)
proxy_pid=$(cat "$work/proxy.pid")
if [ -n "$BASELINE" ]; then
  baseline_port=$(start_proxy "$BASELINE" baseline)
  baseline_pid=$(cat "$work/baseline.pid")
fi

haproxy_port=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
listen mysql
    bind 127.0.0.1:$haproxy_port
    server db 127.0.0.1:$db_port
CFG
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
haproxy_pid=$!
wait_port "$haproxy_port"

sb() {  # sb TEST PORT THREADS COMMAND
  sysbench "$1" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$2" --mysql-user=app \
    --mysql-password=secret --mysql-db=sbtest --tables=1 --table-size=$TABLE_SIZE \
    --threads="$3" --time="$TIME" --db-ps-mode="$PS_MODE" --mysql-ssl=off "$4"
}
tps() {  # transactions per second from sysbench's report
  sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p'
}

sb oltp_point_select "$db_port" 1 prepare >/dev/null

printf '%-18s %7s %12s %12s %12s %9s %9s %14s\n' test threads direct_tps proxy_tps haproxy_tps proxy/dir hapx/dir proxy/haproxy
status=0
baseline_table=""
for test in $TESTS; do
  for t in $THREADS; do
    direct=$(sb "$test" "$db_port" "$t" run | tps)
    proxy=$(sb "$test" "$proxy_port" "$t" run | tps)
    if [ -n "$BASELINE" ]; then
      base=$(sb "$test" "$baseline_port" "$t" run | tps)
      again=$(sb "$test" "$proxy_port" "$t" run | tps)
      baseline_table+=$(awk -v b="$base" -v p="$proxy" -v a="$again" -v test="$test" -v t="$t" 'BEGIN {
        if (b == "" || b == 0) { printf "%-18s %7s n/a\n", test, t; exit }
        printf "%-18s %7s %12s %12s %12s %9.3f %9.3f\n", test, t, b, p, a, p / b, a / b }')
      baseline_table+=$'\n'
    fi
    hap=$(sb "$test" "$haproxy_port" "$t" run | tps)
    line=$(awk -v d="$direct" -v p="$proxy" -v h="$hap" 'BEGIN {
      if (d == "" || p == "" || h == "" || d == 0 || h == 0) { print "n/a n/a n/a"; exit }
      printf "%.3f %.3f %.3f", p / d, h / d, p / h }')
    read -r r_proxy r_hap r_rel <<<"$line"
    printf '%-18s %7s %12s %12s %12s %9s %9s %14s\n' "$test" "$t" "${direct:-?}" "${proxy:-?}" "${hap:-?}" \
      "$r_proxy" "$r_hap" "$r_rel"
    [ "$r_rel" = "n/a" ] && status=1
  done
done
echo "target: proxy/haproxy >= 0.90 (HAProxy relays bytes only; the proxy parses every response)"
if [ -n "$BASELINE" ]; then
  echo
  echo "against the baseline $BASELINE (this binary run before and after it):"
  printf '%-18s %7s %12s %12s %12s %9s %9s\n' test threads baseline_tps proxy_tps proxy_again before/b after/b
  printf '%s' "$baseline_table"
fi
if [ $status -ne 0 ]; then
  echo "sysbench.bench: a run produced no figure; proxy log tail:" >&2
  tail -20 "$work/proxy.log" >&2
fi
exit $status
