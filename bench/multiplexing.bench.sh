#!/usr/bin/env bash
# Backend multiplexing: sysbench oltp_point_select with many client threads
# through genaiproxy, whose server row allows few backend connections
# (mysql_servers.max_connections), against sysbench direct to MariaDB with as
# many threads as that server row allows connections. Reports throughput,
# latency and the backend connections held during the run (the proxy's
# Server_Connections_connected and the server's Threads_connected, sampled),
# plus how many connections the proxy opened in all.
# Target: MUX_CLIENTS clients are served by at most MUX_SERVER_CONNECTIONS
# backend connections, at a throughput comparable to direct with that many.
#
# Usage: bench/multiplexing.bench.sh [BUILD_DIR]
# Environment: MUX_TIME (seconds per run, default 10), MUX_CLIENTS (default 512),
#              MUX_SERVER_CONNECTIONS (default 32), MUX_PS_MODE (auto: sysbench's
#              prepared statements; disable: text protocol),
#              MUX_FREE_PCT (mysql-free_connections_pct values to run, default
#              "10 100": the default, and every idle connection kept).
set -euo pipefail

BUILD_DIR=$(realpath "${1:-${BUILD_DIR:-build}}")
SOURCE_DIR=${SOURCE_DIR:-$(realpath "$(dirname "$0")/..")}
BINARY="$BUILD_DIR/genaiproxy"
PYTHON=/usr/bin/python3
TIME=${MUX_TIME:-10}
CLIENTS=${MUX_CLIENTS:-512}
LIMIT=${MUX_SERVER_CONNECTIONS:-32}
PS_MODE=${MUX_PS_MODE:-auto}
FREE_PCT=${MUX_FREE_PCT:-"10 100"}
TABLE_SIZE=10000

for tool in sysbench mariadbd mariadb; do
  command -v "$tool" >/dev/null || { echo "multiplexing.bench: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$BINARY" ] || { echo "multiplexing.bench: $BINARY not built" >&2; exit 1; }

work=$(mktemp -d /tmp/gp-mux-bench-XXXXXX)
proxy_pid=""
cleanup() {
  set +e
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
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
  echo "multiplexing.bench: port $1 did not open" >&2
  return 1
}

db_port=$("$PYTHON" "$SOURCE_DIR/tests/integration/mariadb.py" start "$work/mariadb")
db() { mariadb --no-defaults -h127.0.0.1 -P"$db_port" -uapp -psecret -N -B -e "$1"; }
db "CREATE DATABASE IF NOT EXISTS sbtest"

start_proxy() {  # start_proxy FREE_PCT: sets proxy_port, admin_port, proxy_pid
  proxy_port=$(free_port)
  admin_port=$(free_port)
  local dir="$work/proxy-$1"
  mkdir -p "$dir"
  cat >"$dir.cnf" <<CNF
datadir="$dir"
admin_variables =
{
    admin_credentials = "admin:admin"
    mysql_ifaces = "127.0.0.1:$admin_port"
}
mysql_variables =
{
    threads = 2
    interfaces = "127.0.0.1:$proxy_port"
    free_connections_pct = $1
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
    { address = "127.0.0.1", port = $db_port, hostgroup = 0, max_connections = $LIMIT }
)
CNF
  "$BINARY" --config "$dir.cnf" --datadir "$dir" --initial >"$dir.log" 2>&1 &
  proxy_pid=$!
  wait_port "$proxy_port"
  wait_port "$admin_port"
}
stop_proxy() {
  kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null || true
  proxy_pid=""
}
admin_stat() {
  mariadb --no-defaults -h127.0.0.1 -P"$admin_port" -uadmin -padmin -N -B --skip-ssl \
    -e "SELECT Variable_Value FROM stats_mysql_global WHERE Variable_Name = '$1'" 2>/dev/null || echo 0
}
server_threads() {  # the proxy's (or sysbench's) connections as the server counts them
  mariadb --no-defaults -h127.0.0.1 -P"$db_port" -uother -pother-pw -N -B \
    -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'app'" 2>/dev/null || echo 0
}

sb() {  # sb PORT THREADS COMMAND
  sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$1" \
    --mysql-user=app --mysql-password=secret --mysql-db=sbtest --tables=1 \
    --table-size=$TABLE_SIZE --threads="$2" --time="$TIME" --db-ps-mode="$PS_MODE" \
    --mysql-ssl=off --report-interval=0 "$3"
}
field() {  # field NAME < sysbench report
  case "$1" in
    tps) sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p' ;;
    p95) sed -n 's/.*95th percentile: *\([0-9.]*\).*/\1/p' ;;
    errors) sed -n 's/.*ignored errors: *\([0-9]*\).*/\1/p' ;;
  esac
}

# Samples, every 0.25 s until the file $work/stop exists, the highest count of
# the proxy's backend connections (its own and the server's view) into $work/peak.
sample() {
  local own=0 srv=0 v
  while [ ! -e "$work/stop" ]; do
    v=$([ -n "$proxy_pid" ] && admin_stat Server_Connections_connected || echo 0)
    [ "${v:-0}" -gt "$own" ] && own=$v
    v=$(server_threads)
    [ "${v:-0}" -gt "$srv" ] && srv=$v
    sleep 0.25
  done
  echo "$own $srv" >"$work/peak"
}

sb "$db_port" 1 prepare >/dev/null

run() {  # run LABEL PORT THREADS: prints one table row
  rm -f "$work/stop" "$work/peak"
  sample &
  local sampler=$!
  local out
  out=$(sb "$2" "$3" run 2>&1 || true)
  touch "$work/stop"
  wait "$sampler"
  read -r own srv <"$work/peak"
  local tps p95 errors created
  tps=$(field tps <<<"$out")
  p95=$(field p95 <<<"$out")
  errors=$(field errors <<<"$out")
  created=-
  [ -n "$proxy_pid" ] && created=$(admin_stat Server_Connections_created)
  [ -n "$proxy_pid" ] || own=-
  printf '%-28s %8s %12s %9s %8s %11s %11s %9s\n' "$1" "$3" "${tps:-FAILED}" "${p95:-?}" \
    "${errors:-?}" "$own" "$srv" "$created"
  if [ -z "$tps" ]; then
    echo "$out" | tail -5 >&2
    status=1
  fi
}

status=0
echo "oltp_point_select, $TIME s per run, ps-mode $PS_MODE; the server row allows $LIMIT connections"
echo "(direct runs $LIMIT client threads: one per connection the server row allows)"
printf '%-28s %8s %12s %9s %8s %11s %11s %9s\n' run clients tps p95_ms errors held_proxy held_server created
run "direct" "$db_port" "$LIMIT"
for pct in $FREE_PCT; do
  start_proxy "$pct"
  # The same number of clients as connections first: what the proxy costs
  # without any waiting for a connection.
  run "proxy free_conn_pct=$pct" "$proxy_port" "$LIMIT"
  run "proxy free_conn_pct=$pct" "$proxy_port" "$CLIENTS"
  pinned=$(admin_stat Client_sessions_pinned)
  applies=$(admin_stat Backend_session_state_applies)
  reprepares=$(admin_stat Backend_statement_reprepares)
  echo "    pinned sessions $pinned, state applies $applies, re-prepares $reprepares"
  stop_proxy
done
echo "held_*: the most backend connections open at once (proxy's count, server's process list);"
echo "created: connections the proxy opened since it started (both of its runs). Target: held <= $LIMIT."
exit $status
