#!/usr/bin/env bash
# The AI functions in SQL (docs/SQL.md) through the proxy, against a near-zero-cost model service,
# all cells in one run:
#   (a) a prepared INSERT INTO t (body, emb) VALUES (?, GENAI_EMBED(?)): statements/s and latency,
#   (b) the two-round-trip pattern it replaces: GENAI: {"type":"embed",...}, then a prepared
#       INSERT with the vector's text as a parameter (one operation = both round trips),
#   (c) the hybrid SELECT with GENAI_RERANK(?, body) over 100 candidates, ORDER BY score LIMIT 10,
# beside the floors they are made of: the prepared INSERT with a fixed vector of the same size, and
# the SELECT the proxy forwards for (c) (the 100 candidate rows, no rerank).
#
# Services, on 127.0.0.1, started and stopped here:
#   MariaDB     tests/integration/mariadb.py (private datadir, innodb_flush_log_at_trx_commit=2)
#   embedding   nginx-light + libnginx-mod-http-echo answering POST /embedding with one fixed
#               SQL_BENCH_DIM-dimension vector (as genai_cost.bench.sh); without nginx,
#               bench/model_service with no delay (and the report says so)
#   rerank      bench/model_service --fixed-ms 0 --per-doc-ms 0: a correct score per document for
#               any number of documents, GET /stats counts its requests
# Load: bench/sql_load.go (server-side prepared statements from Go; see its header), built here
# offline in GOPATH mode against Debian's go-sql-driver.
#
# Environment: SQL_BENCH_DURATION (seconds per cell, 5), SQL_BENCH_CLIENTS (1,16), SQL_BENCH_DIM
# (384), SQL_BENCH_CANDIDATES (rows LIKE the rerank's pattern, 1000; the SELECT takes 100),
# SQL_BENCH_PROXY (BUILD_DIR/genaiproxy), SQL_BENCH_MODEL (BUILD_DIR/bench/model_service),
# SQL_BENCH_LOAD (where the load tool is built, BUILD_DIR/bench/sql_load), SQL_BENCH_THREADS
# (mysql-threads and genai-threads, 2), SQL_BENCH_NGINX (nginx; "none" uses the fallback),
# SQL_BENCH_OUT (the markdown report, BUILD_DIR/bench/sql_functions.md).
set -euo pipefail

BUILD_DIR=$(realpath "${1:-${BUILD_DIR:-build}}")
SOURCE_DIR=${SOURCE_DIR:-$(realpath "$(dirname "$0")/..")}
PYTHON=/usr/bin/python3
DURATION=${SQL_BENCH_DURATION:-5}
CLIENTS=${SQL_BENCH_CLIENTS:-1,16}
DIM=${SQL_BENCH_DIM:-384}
CANDIDATES=${SQL_BENCH_CANDIDATES:-1000}
PROXY=${SQL_BENCH_PROXY:-$BUILD_DIR/genaiproxy}
MODEL=${SQL_BENCH_MODEL:-$BUILD_DIR/bench/model_service}
LOAD=${SQL_BENCH_LOAD:-$BUILD_DIR/bench/sql_load}
THREADS=${SQL_BENCH_THREADS:-2}
NGINX=${SQL_BENCH_NGINX:-nginx}
OUT=${SQL_BENCH_OUT:-$BUILD_DIR/bench/sql_functions.md}
BIG=$(echo "$CLIENTS" | tr ',' '\n' | sort -n | tail -1)

fail() { echo "sql_functions.bench: $*" >&2; exit 1; }
[ -x "$PROXY" ] || fail "no proxy binary at $PROXY"
[ -x "$MODEL" ] || cmake --build "$BUILD_DIR" --target model_service
for tool in go mariadb mariadbd; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh)"
done
GO_DRIVER=/usr/share/gocode/src/github.com/go-sql-driver/mysql
[ -d "$GO_DRIVER" ] || fail "go-sql-driver is not installed (Debian golang-github-go-sql-driver-mysql-dev)"

# The load tool, rebuilt when its source is newer than the binary.
if [ ! -x "$LOAD" ] || [ "$SOURCE_DIR/bench/sql_load.go" -nt "$LOAD" ]; then
  mkdir -p "$(dirname "$LOAD")"
  GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS="" GOPROXY=off \
    GOCACHE="$(dirname "$LOAD")/go-cache" go build -o "$LOAD" "$SOURCE_DIR/bench/sql_load.go"
fi

WORK=$(mktemp -d -t sql-bench-XXXXXX)
pids=()
cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  "$PYTHON" "$SOURCE_DIR/tests/integration/mariadb.py" stop "$WORK/mariadb" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

export PYTHONPATH="$SOURCE_DIR/tests/integration"
read -r ZERO_PORT MODEL_PORT ADMIN_PORT CLIENT_PORT < <("$PYTHON" -c \
  'import harness; print(*(harness.free_port() for _ in range(4)))')
wait_ports() { "$PYTHON" -c "import harness, sys; [harness.wait_port(int(p)) for p in sys.argv[1:]]" "$@"; }

# MariaDB's temporary tables (the derived table of (c)) go to TMPDIR: a private one, so that a job
# that cleans /tmp cannot remove them underneath a cell (it did, during the first runs). The
# private TMPDIR also makes mariadb.py install a fresh template datadir there (a few seconds).
mkdir -p "$WORK/dbtmp"
DB_PORT=$(TMPDIR="$WORK/dbtmp" "$PYTHON" "$SOURCE_DIR/tests/integration/mariadb.py" start "$WORK/mariadb")
db() { mariadb --no-defaults -h127.0.0.1 -P"$DB_PORT" -uapp -psecret -N -B gp_test -e "$1"; }

# --- the near-zero embedding service
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so
ZERO_URL="http://127.0.0.1:$ZERO_PORT/embedding"
if [ "$NGINX" != none ] && command -v "$NGINX" >/dev/null && [ -f "$ECHO_MODULE" ]; then
  ZERO_KIND="nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') + echo module, 1 worker"
  vector=$("$PYTHON" -c "
import math, sys
d = int(sys.argv[1]); v = [math.sin(i + 1.0) for i in range(d)]; n = math.sqrt(sum(x * x for x in v))
print(','.join(repr(round(x / n, 7)) for x in v))" "$DIM")
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<CONF
load_module $ECHO_MODULE;
daemon off;
master_process on;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    client_body_buffer_size 1m;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    server {
        listen 127.0.0.1:$ZERO_PORT backlog=4096;
        default_type application/json;
        # llama-server's native answer for one document: every statement here embeds one text.
        location = /embedding { echo_read_request_body; echo -n '[{"index":0,"embedding":[[$vector]]}]'; }
    }
}
CONF
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >"$WORK/nginx.log" 2>&1 &
  ZERO_PID=$!
else
  ZERO_KIND="model_service with no delay (nginx-light or libnginx-mod-http-echo is not installed)"
  "$MODEL" --port "$ZERO_PORT" --fixed-ms 0 --per-doc-ms 0 --dim "$DIM" >"$WORK/zero.log" 2>&1 &
  ZERO_PID=$!
fi
pids+=("$ZERO_PID")

# --- the near-zero rerank service
RERANK_URL="http://127.0.0.1:$MODEL_PORT/rerank"
"$MODEL" --port "$MODEL_PORT" --fixed-ms 0 --per-doc-ms 0 --dim "$DIM" >"$WORK/model.log" 2>&1 &
MODEL_PID=$!
pids+=("$MODEL_PID")

# --- the proxy
"$PYTHON" - "$WORK" "$ADMIN_PORT" "$CLIENT_PORT" "$ZERO_URL" "$RERANK_URL" "$THREADS" "$DB_PORT" <<'PY'
import sys, harness
work, admin, client, url, rerank, threads, db_port = sys.argv[1:]
with open(f"{work}/genaiproxy.cnf", "w") as f:
    f.write(harness.render_config(
        work, int(admin), int(client),
        genai={"embedding_uri": url, "rerank_uri": rerank, "threads": int(threads)},
        mysql={"threads": int(threads), "max_connections": 4096},
        servers=[{"address": "127.0.0.1", "port": int(db_port), "hostgroup": 0, "max_connections": 500}]))
PY
"$PROXY" --config "$WORK/genaiproxy.cnf" --datadir "$WORK" >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
pids+=("$PROXY_PID")
wait_ports "$ZERO_PORT" "$MODEL_PORT" "$ADMIN_PORT" "$CLIENT_PORT"
# nginx's worker does the work; its master only waits.
SERVICE_PIDS=$(echo "$ZERO_PID" $(cat "/proc/$ZERO_PID/task/$ZERO_PID/children" 2>/dev/null) "$MODEL_PID" | tr ' ' ',')

admin() { mariadb --no-defaults -h127.0.0.1 -P"$ADMIN_PORT" -uadmin -padmin -N -B -e "$1"; }
proxy_sql() { mariadb --no-defaults -h127.0.0.1 -P"$CLIENT_PORT" -uapp -psecret -N -B gp_test -e "$1"; }
variable() { admin "SELECT variable_value FROM runtime_global_variables WHERE variable_name = '$1'"; }
set_vars() {  # set_vars NAME=VALUE ...
  local kv
  for kv in "$@"; do admin "SET ${kv%%=*} = '${kv#*=}'"; done
  admin "LOAD GENAI VARIABLES TO RUNTIME"
}
rerank_requests() { "$PYTHON" -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1], timeout=10))["requests"])' "http://127.0.0.1:$MODEL_PORT/stats"; }

# The feature must work before anything is measured: a build without it fails here, clearly.
if ! probe=$(proxy_sql "SELECT LENGTH(GENAI_EMBED('probe')) > 2, GENAI_RERANK('a', 'a b') IS NOT NULL" 2>&1) \
    || [ "$probe" != $'1\t1' ]; then
  fail "this proxy does not compute GENAI_EMBED/GENAI_RERANK in SQL: $probe"
fi

db "CREATE TABLE sql_bench_docs (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT NOT NULL, emb TEXT)"
db "CREATE TABLE sql_bench_candidates (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT NOT NULL)"
db "INSERT INTO sql_bench_candidates (body) SELECT CONCAT('document ', seq, ' about topic ', seq % 97,
    ' and its neighbours, with a few more words to make it a paragraph') FROM seq_1_to_$CANDIDATES"

# cell NAME MODE CLIENTS: one sql_load run; its TSV row goes to $WORK/NAME.
cell() {
  local name=$1 mode=$2 clients=$3
  case $mode in insert-*) db "TRUNCATE TABLE sql_bench_docs" ;; esac
  if ! "$LOAD" --port "$CLIENT_PORT" --mode "$mode" --clients "$clients" --duration "${DURATION}s" \
      --dim "$DIM" --proxy-pids "$PROXY_PID" --service-pids "$SERVICE_PIDS" --clk-tck "$(getconf CLK_TCK)" \
      >"$WORK/$name.tsv" 2>"$WORK/$name.err"; then
    echo "cell $name failed: $(head -3 "$WORK/$name.err" | tr '\n' ' ')" >&2
  fi
  tail -n +2 "$WORK/$name.tsv" | head -1 >"$WORK/$name"
  return 0
}
col() { [ -s "$WORK/$1" ] && cut -f"$2" "$WORK/$1" || echo ""; }
C_OPS=3 C_RATE=4 C_P50=5 C_P99=6 C_ERR=7 C_PROXY=8 C_SERVICE=9 C_LOADGEN=10 C_FIRST=11

BATCH_SIZE=$(variable genai-batch_size)
BATCH_MAX=$(variable genai-batch_max_documents)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "SQL functions: $(nproc) cores, load average $load_at_start, ${DURATION}s per cell; proxy $PROXY" \
  "(mysql-threads $THREADS, genai-threads $THREADS); embedding: $ZERO_KIND; rerank: model_service, no delay"

for c in ${CLIENTS//,/ }; do
  for m in insert-plain insert-fn insert-2rt select-plain; do cell "${m}_$c" "$m" "$c"; done
  r0=$(rerank_requests)
  cell "rerank_$c" rerank "$c"
  r1=$(rerank_requests)
  echo "$((r1 - r0))" >"$WORK/rerank_$c.requests"
done
# The same rerank with the 100 candidates in one upstream request.
set_vars genai-batch_size=100
r0=$(rerank_requests)
cell "rerank100_$BIG" rerank "$BIG"
r1=$(rerank_requests)
echo "$((r1 - r0))" >"$WORK/rerank100_$BIG.requests"
set_vars genai-batch_size="$BATCH_SIZE"
load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
per_stmt() {  # per_stmt CELL: upstream rerank requests per statement
  awk -v n="$(cat "$WORK/$1.requests" 2>/dev/null)" -v s="$(col "$1" $C_OPS)" \
    'BEGIN { if (s > 0) printf "%.2f", n / s; else print "n/a" }'
}
rows=()
line() {  # line LABEL CELL [NOTE]
  local c=$2
  [ -s "$WORK/$c" ] || { rows+=("$1|n/a|n/a|n/a|n/a|n/a|${3:-}$(head -1 "$WORK/$c.err" 2>/dev/null)"); return; }
  local note=${3:-}
  [ "$(col "$c" $C_ERR)" != 0 ] && note="$note first error: $(col "$c" $C_FIRST)"
  rows+=("$1|$(col "$c" $C_RATE)|$(col "$c" $C_P50) / $(col "$c" $C_P99)|$(col "$c" $C_PROXY) / $(col "$c" $C_SERVICE) / $(col "$c" $C_LOADGEN)|$(col "$c" $C_ERR)|$note")
}
who() { [ "$1" = 1 ] && echo "1 client" || echo "$1 clients"; }
for c in ${CLIENTS//,/ }; do
  line "$(who "$c"): INSERT (?, ?) with a fixed vector (floor)" "insert-plain_$c"
  line "$(who "$c"): (a) INSERT (?, GENAI_EMBED(?))" "insert-fn_$c" \
    "$(ratio "$(col "insert-fn_$c" $C_RATE)" "$(col "insert-2rt_$c" $C_RATE)") x (b)"
  line "$(who "$c"): (b) GENAI: embed, then INSERT (?, ?)" "insert-2rt_$c"
  line "$(who "$c"): forwarded SELECT, 100 candidate rows (floor)" "select-plain_$c"
  line "$(who "$c"): (c) hybrid SELECT, GENAI_RERANK over 100, LIMIT 10" "rerank_$c" \
    "$(per_stmt "rerank_$c") rerank requests/statement"
done
line "$(who "$BIG"): (c) with genai-batch_size=100" "rerank100_$BIG" \
  "$(per_stmt "rerank100_$BIG") rerank requests/statement"

{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $load_at_start at the start and $load_at_end at the end;"
  echo "${DURATION}s per cell; proxy: mysql-threads $THREADS, genai-threads $THREADS, genai-batch_size $BATCH_SIZE,"
  echo "genai-batch_max_documents $BATCH_MAX; embedding: $ZERO_KIND, $DIM dimensions; rerank: model_service, no delay;"
  echo "MariaDB $(db 'SELECT VERSION()'), innodb_flush_log_at_trx_commit=2; load: bench/sql_load.go, one connection per client."
  echo
  echo "| cell | statements/s | p50 / p99 ms | CPU µs/statement proxy / services / load generator | errors | note |"
  echo "|---|---:|---:|---:|---:|---|"
  for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
} >"$WORK/report.md"
mkdir -p "$(dirname "$OUT")"
cp "$WORK/report.md" "$OUT"
"$PYTHON" - "$WORK/report.md" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
table = [[c.strip() for c in l.strip("|").split("|")] for l in lines if l.startswith("|") and not set(l) <= set("|-: ")]
for l in lines:
    if not l.startswith("|"):
        print(l)
width = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
for r in table:
    print("  ".join(c.ljust(w) for c, w in zip(r, width)).rstrip())
PY
echo "(markdown: $OUT)"
if ! kill -0 "$PROXY_PID" 2>/dev/null; then
  echo "sql_functions.bench: the proxy exited during the run; log tail:" >&2
  tail -20 "$WORK/proxy.log" >&2
  exit 1
fi
