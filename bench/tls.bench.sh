#!/usr/bin/env bash
# TLS through genaiproxy versus TLS directly to MariaDB: TLS handshakes (connect, TLS,
# login, close) per second, and sysbench oltp_point_select over TLS, at a few thread
# counts. The proxy terminates the client's TLS and reaches MariaDB over TLS too
# (use_ssl = 1, verified). Prints rates and ratios (proxy / direct).
#
# Usage: bench/tls.bench.sh [BUILD_DIR]
# Environment: TLS_TIME (seconds per cell, default 5), TLS_THREADS (default "1 16"),
#              TLS_HANDSHAKE_CLIENTS (parallel handshaking processes, default 4).
set -euo pipefail

BUILD_DIR=$(realpath "${1:-${BUILD_DIR:-build}}")
SOURCE_DIR=${SOURCE_DIR:-$(realpath "$(dirname "$0")/..")}
BINARY="$BUILD_DIR/genaiproxy"
PYTHON=/usr/bin/python3
TIME=${TLS_TIME:-5}
THREADS=${TLS_THREADS:-"1 16"}
CLIENTS=${TLS_HANDSHAKE_CLIENTS:-4}

for tool in sysbench mariadbd openssl; do
  command -v "$tool" >/dev/null || { echo "tls.bench: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$BINARY" ] || { echo "tls.bench: $BINARY not built" >&2; exit 1; }

work=$(mktemp -d /tmp/gp-tls-bench-XXXXXX)
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
  echo "tls.bench: port $1 did not open" >&2
  return 1
}

# MariaDB's certificate, signed by a CA of its own.
ossl() { openssl "$@" >/dev/null 2>&1; }
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench CA" -keyout "$work/db-ca.key" -out "$work/db-ca.pem"
ossl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$work/db.key" -out "$work/db.csr"
ossl x509 -req -in "$work/db.csr" -CA "$work/db-ca.pem" -CAkey "$work/db-ca.key" -CAcreateserial -days 2 -out "$work/db.pem"

db_port=$("$PYTHON" "$SOURCE_DIR/tests/integration/mariadb.py" start "$work/mariadb" \
  "--ssl-ca=$work/db-ca.pem" "--ssl-cert=$work/db.pem" "--ssl-key=$work/db.key")
mariadb --no-defaults -h127.0.0.1 -P"$db_port" -uapp -psecret --skip-ssl -e "CREATE DATABASE IF NOT EXISTS sbtest"

port=$(free_port)
admin=$(free_port)
mkdir -p "$work/proxy"
cat >"$work/proxy.cnf" <<CNF
datadir="$work/proxy"
admin_variables =
{
    admin_credentials = "admin:admin"
    mysql_ifaces = "127.0.0.1:$admin"
}
mysql_variables =
{
    threads = 2
    interfaces = "127.0.0.1:$port"
    ssl_p2s_ca = "$work/db-ca.pem"
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
    { address = "127.0.0.1", port = $db_port, hostgroup = 0, max_connections = 500, use_ssl = 1 }
)
CNF
"$BINARY" --config "$work/proxy.cnf" --datadir "$work/proxy" --initial >"$work/proxy.log" 2>&1 &
proxy_pid=$!
wait_port "$port"

# Handshakes per second: CLIENTS processes each connect (TLS verified against the CA),
# log in, run nothing, and close, for TIME seconds.
handshakes() {  # handshakes PORT CA
  "$PYTHON" - "$1" "$2" "$TIME" "$CLIENTS" <<'PY'
import multiprocessing, sys, time
import pymysql
port, ca, seconds, clients = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
def worker(q):
    n, end = 0, time.time() + seconds
    while time.time() < end:
        pymysql.connect(host="127.0.0.1", port=port, user="app", password="secret",
                        ssl_ca=ca, ssl_verify_cert=True).close()
        n += 1
    q.put(n)
q = multiprocessing.Queue()
ps = [multiprocessing.Process(target=worker, args=(q,)) for _ in range(clients)]
for p in ps: p.start()
total = sum(q.get() for _ in ps)
for p in ps: p.join()
print(f"{total / seconds:.1f}")
PY
}

# sysbench 1.0 reads its TLS files from the working directory.
cp "$work/proxy/proxysql-ca.pem" "$work/proxy-ca.pem"
mkdir -p "$work/sb-direct" "$work/sb-proxy"
for d in direct proxy; do
  cp "$work/db.pem" "$work/sb-$d/client-cert.pem"
  cp "$work/db.key" "$work/sb-$d/client-key.pem"
done
cp "$work/db-ca.pem" "$work/sb-direct/cacert.pem"
cp "$work/proxy-ca.pem" "$work/sb-proxy/cacert.pem"
sb() {  # sb DIR PORT THREADS COMMAND
  (cd "$work/sb-$1" && sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 \
    --mysql-port="$2" --mysql-user=app --mysql-password=secret --mysql-db=sbtest --tables=1 \
    --table-size=10000 --threads="$3" --time="$TIME" --mysql-ssl=on "$4")
}
tps() { sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p'; }
ratio() { awk -v p="$1" -v d="$2" 'BEGIN { if (p == "" || d == "" || d == 0) print "n/a"; else printf "%.3f", p / d }'; }

tls_conns() {
  mariadb --no-defaults -h127.0.0.1 -P"$admin" -uadmin -padmin --skip-ssl -N -e \
    "SELECT ConnTLS FROM stats_mysql_connection_pool" 2>/dev/null || echo "?"
}

status=0
printf '%-28s %12s %12s %9s\n' measure direct proxy proxy/dir
sb direct "$db_port" 1 prepare >/dev/null
for t in $THREADS; do
  direct=$(sb direct "$db_port" "$t" run | tps)
  proxy=$(sb proxy "$port" "$t" run | tps)
  r=$(ratio "$proxy" "$direct"); [ "$r" = n/a ] && status=1
  printf '%-28s %12s %12s %9s\n' "point_select TLS, $t thr" "${direct:-?}" "${proxy:-?}" "$r"
done
echo "backend connections opened with TLS so far: $(tls_conns)"

direct_hs=$(handshakes "$db_port" "$work/db-ca.pem")
proxy_hs=$(handshakes "$port" "$work/proxy-ca.pem")
r=$(ratio "$proxy_hs" "$direct_hs"); [ "$r" = n/a ] && status=1
printf '%-28s %12s %12s %9s\n' "TLS handshakes/s ($CLIENTS procs)" "$direct_hs" "$proxy_hs" "$r"
echo "backend connections opened with TLS: $(tls_conns) (PyMySQL's SET AUTOCOMMIT at each login takes one)"
if [ $status -ne 0 ]; then
  echo "tls.bench: a run produced no figure; proxy log tail:" >&2
  tail -20 "$work/proxy.log" >&2
fi
exit $status
