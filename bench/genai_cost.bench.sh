#!/usr/bin/env bash
# The GenAI engine's own cost (issue 10, item 6): proxy CPU per statement, throughput against a
# direct baseline measured in the same run, upstream requests per statement, proxy-added latency.
#
# Services, all on 127.0.0.1, started and stopped here:
#   near-zero  nginx-light + libnginx-mod-http-echo (a generated nginx.conf: daemon off,
#              worker_processes 1, access log off) answering POST /embedding with one fixed
#              llama-server vector of GENAI_COST_DIM dimensions and /rerank with a fixed body;
#              without nginx, bench/model_service with no delay stands in (and says so).
#              /small/embedding answers a GENAI_COST_SMALL_DIM-dimension vector (nginx only), to
#              separate the cost per statement from the cost per dimension.
#   GPU model  bench/model_service --fixed-ms 20 --per-doc-ms 0.2: correct per-document vectors
#              for any number of documents, GET /stats counts requests and documents.
# One proxy (its upstream switched at runtime through the admin interface) and the load generator
# bench/genai_load (one thread per client; --mode local|embed|cache).
#
# Cells (GENAI_COST_DURATION seconds each):
#   local answer  SELECT @@version_comment LIMIT 1            1, 64, 512 clients
#   upstream      GENAI embed of 1 document, near-zero service  1, 64, 512 clients
#                 the same with GENAI_COST_SMALL_DIM dimensions 1, 64 clients
#   latency       the same, proxy and direct, 32 clients
#   cache hit     the same document for every client           1, 64, 512 (when the build has a cache)
#   GPU model     direct, proxy batching off, proxy batching on (when the build has batching), 512
#
# Prints a table of every figure beside its target and writes it as markdown to
# GENAI_COST_OUT (default BUILD_DIR/bench/genai_cost.md).
#
# Environment: GENAI_COST_DURATION (4), GENAI_COST_CLIENTS (1,64,512), GENAI_COST_LATENCY_CLIENTS
# (32), GENAI_COST_DIM (384), GENAI_COST_SMALL_DIM (16), GENAI_COST_FIXED_MS (20), GENAI_COST_PER_DOC_MS (0.2),
# GENAI_COST_SLOTS (requests the GPU model runs at once, 0 = unlimited), GENAI_COST_PROXY (the
# proxy binary, default BUILD_DIR/genaiproxy), GENAI_COST_THREADS (mysql-threads, 2),
# GENAI_COST_GENAI_THREADS (genai-threads, 2), GENAI_COST_BATCH_WINDOW_US (2000),
# GENAI_COST_BATCH_MAX_DOCUMENTS (256), GENAI_COST_CACHE_TTL_S (600), GENAI_COST_CACHE_MAX_BYTES
# (67108864), GENAI_COST_NGINX (the nginx binary; "none" uses the fallback), GENAI_COST_OUT,
# GENAI_COST_VARS (NAME=VALUE ... set for the whole run).
set -euo pipefail

BUILD_DIR=$(realpath "${1:-${BUILD_DIR:-build}}")
SOURCE_DIR=${SOURCE_DIR:-$(realpath "$(dirname "$0")/..")}
PYTHON=/usr/bin/python3
DURATION=${GENAI_COST_DURATION:-4}
CLIENTS=${GENAI_COST_CLIENTS:-1,64,512}
LAT_CLIENTS=${GENAI_COST_LATENCY_CLIENTS:-32}
DIM=${GENAI_COST_DIM:-384}
SMALL_DIM=${GENAI_COST_SMALL_DIM:-16}
FIXED_MS=${GENAI_COST_FIXED_MS:-20}
PER_DOC_MS=${GENAI_COST_PER_DOC_MS:-0.2}
SLOTS=${GENAI_COST_SLOTS:-0}
PROXY=${GENAI_COST_PROXY:-$BUILD_DIR/genaiproxy}
THREADS=${GENAI_COST_THREADS:-2}
GENAI_THREADS=${GENAI_COST_GENAI_THREADS:-2}
BATCH_WINDOW_US=${GENAI_COST_BATCH_WINDOW_US:-2000}
BATCH_MAX_DOCUMENTS=${GENAI_COST_BATCH_MAX_DOCUMENTS:-256}
CACHE_TTL_S=${GENAI_COST_CACHE_TTL_S:-600}
CACHE_MAX_BYTES=${GENAI_COST_CACHE_MAX_BYTES:-67108864}
OUT=${GENAI_COST_OUT:-$BUILD_DIR/bench/genai_cost.md}
NGINX=${GENAI_COST_NGINX:-nginx}
BIG=$(echo "$CLIENTS" | tr ',' '\n' | sort -n | tail -1)

LOAD="$BUILD_DIR/bench/genai_load"
MODEL="$BUILD_DIR/bench/model_service"
for tool in "$LOAD" "$MODEL"; do
  [ -x "$tool" ] || cmake --build "$BUILD_DIR" --target "$(basename "$tool")"
done
[ -x "$PROXY" ] || { echo "genai_cost.bench: no proxy binary at $PROXY" >&2; exit 1; }
command -v mariadb >/dev/null || { echo "genai_cost.bench: mariadb (client) is not installed (scripts/install-deps.sh)" >&2; exit 1; }

# 512 clients: 512 client sockets, 512 proxy sockets, the proxy's upstream pool.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK=$(mktemp -d -t genai-cost-XXXXXX)
pids=()
cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

export PYTHONPATH="$SOURCE_DIR/tests/integration"
read -r ZERO_PORT MODEL_PORT ADMIN_PORT CLIENT_PORT < <("$PYTHON" -c \
  'import harness; print(*(harness.free_port() for _ in range(4)))')
wait_ports() { "$PYTHON" -c "import harness, sys; [harness.wait_port(int(p)) for p in sys.argv[1:]]" "$@"; }

# --- the near-zero-cost service
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so
ZERO_URL="http://127.0.0.1:$ZERO_PORT/embedding"
ZERO_RERANK_URL="http://127.0.0.1:$ZERO_PORT/rerank"
SMALL_URL=""
if command -v "$NGINX" >/dev/null && [ -f "$ECHO_MODULE" ]; then
  ZERO_KIND="nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') + echo module, 1 worker"
  unit_vector() { "$PYTHON" -c "
import math, sys
d = int(sys.argv[1]); v = [math.sin(i + 1.0) for i in range(d)]; n = math.sqrt(sum(x * x for x in v))
print(','.join(repr(round(x / n, 7)) for x in v))" "$1"; }
  vector=$(unit_vector "$DIM")
  small_vector=$(unit_vector "$SMALL_DIM")
  SMALL_URL="http://127.0.0.1:$ZERO_PORT/small/embedding"
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
        # llama-server's native answer for one document; every request gets this one vector.
        location = /embedding { echo_read_request_body; echo -n '[{"index":0,"embedding":[[$vector]]}]'; }
        location = /small/embedding { echo_read_request_body; echo -n '[{"index":0,"embedding":[[$small_vector]]}]'; }
        location = /rerank { echo_read_request_body; echo -n '{"results":[{"index":0,"relevance_score":0.5}]}'; }
    }
}
CONF
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >"$WORK/nginx.log" 2>&1 &
  pids+=($!)
  ZERO_PID=$!
else
  ZERO_KIND="model_service with no delay (nginx-light or libnginx-mod-http-echo is not installed)"
  "$MODEL" --port "$ZERO_PORT" --fixed-ms 0 --per-doc-ms 0 --dim "$DIM" >"$WORK/zero.log" 2>&1 &
  pids+=($!)
  ZERO_PID=$!
fi

# --- the GPU model
MODEL_URL="http://127.0.0.1:$MODEL_PORT/embedding"
"$MODEL" --port "$MODEL_PORT" --fixed-ms "$FIXED_MS" --per-doc-ms "$PER_DOC_MS" --dim "$DIM" \
  --slots "$SLOTS" >"$WORK/model.log" 2>&1 &
pids+=($!)
MODEL_PID=$!

# --- the proxy
"$PYTHON" - "$WORK" "$ADMIN_PORT" "$CLIENT_PORT" "$ZERO_URL" "$ZERO_RERANK_URL" "$THREADS" \
  "$GENAI_THREADS" <<'PY'
import sys, harness
work, admin, client, url, rerank, threads, genai_threads = sys.argv[1:]
with open(f"{work}/genaiproxy.cnf", "w") as f:
    f.write(harness.render_config(work, int(admin), int(client),
                                  genai={"embedding_uri": url, "rerank_uri": rerank,
                                         "threads": int(genai_threads), "endpoint_concurrency": 1024},
                                  mysql={"threads": int(threads), "max_connections": 4096}))
PY
"$PROXY" --config "$WORK/genaiproxy.cnf" --datadir "$WORK" >"$WORK/proxy.log" 2>&1 &
pids+=($!)
PROXY_PID=$!
wait_ports "$ZERO_PORT" "$MODEL_PORT" "$ADMIN_PORT" "$CLIENT_PORT"
# nginx's worker does the work; its master only waits.
ZERO_PIDS=$(echo "$ZERO_PID" $(cat "/proc/$ZERO_PID/task/$ZERO_PID/children" 2>/dev/null) | tr ' ' ',')

admin() { mariadb --no-defaults -h127.0.0.1 -P"$ADMIN_PORT" -uadmin -padmin -N -B -e "$1"; }
has_variable() { [ -n "$(admin "SHOW VARIABLES LIKE '$1'" 2>/dev/null)" ]; }
set_vars() {  # set_vars NAME=VALUE ...: sets the ones this build has, loads them to runtime
  local kv
  for kv in "$@"; do
    has_variable "${kv%%=*}" && admin "SET ${kv%%=*} = '${kv#*=}'"
  done
  admin "LOAD GENAI VARIABLES TO RUNTIME"
}
model_stats() { "$PYTHON" -c 'import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1], timeout=10)); print(s["requests"], s["documents"])' \
  "http://127.0.0.1:$MODEL_PORT/stats"; }

# GENAI_COST_VARS: further NAME=VALUE settings for the whole run, e.g.
# "genai-endpoint_concurrency=128".
if [ -n "${GENAI_COST_VARS:-}" ]; then
  # shellcheck disable=SC2086
  set_vars $GENAI_COST_VARS
fi
BATCHING=no; has_variable genai-batch_window_us && BATCHING=yes
CACHE=no; has_variable genai-cache_ttl_s && CACHE=yes
# Every cell starts with batching and the cache off; the cells that measure them turn them on.
OFF=(genai-batch_window_us=0 genai-cache_ttl_s=0)

load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "GenAI engine cost: $(nproc) cores, load average $load_at_start, ${DURATION}s per cell;" \
  "proxy $PROXY (mysql-threads $THREADS, genai-threads $GENAI_THREADS);"
echo "near-zero service: $ZERO_KIND; GPU model: $FIXED_MS ms + $PER_DOC_MS ms/document," \
  "$DIM dimensions, slots ${SLOTS/#0/unlimited}; batching in this build: $BATCHING; cache: $CACHE"

# cell NAME MODE CLIENTS ONLY URL SERVICE_PIDS: one genai_load run; its TSV row goes to $WORK/NAME.
cell() {
  local name=$1 mode=$2 clients=$3 only=$4 url=$5 service=$6 args=()
  [ "$only" != both ] && args+=(--only "$only")
  if ! "$LOAD" --tsv --mode "$mode" --url "$url" --proxy-port "$CLIENT_PORT" --clients "$clients" \
      --duration "$DURATION" --proxy-pids "$PROXY_PID" --service-pids "$service" "${args[@]}" \
      >"$WORK/$name.tsv" 2>"$WORK/$name.err"; then
    echo "cell $name failed: $(head -3 "$WORK/$name.err" | tr '\n' ' ')" >&2
  fi
  tail -n +2 "$WORK/$name.tsv" | head -1 >"$WORK/$name"
  [ -s "$WORK/$name.err" ] && echo "cell $name: $(head -2 "$WORK/$name.err" | tr '\n' ' ')" >&2
  return 0
}
# col NAME COLUMN: one field of a cell's row (columns of genai_load --tsv, from 1).
col() { [ -s "$WORK/$1" ] && cut -f"$2" "$WORK/$1" || echo ""; }
C_DIRECT_RPS=3 C_PROXY_RPS=4 C_RATIO=5 C_D50=6 C_P50=7 C_D99=8 C_P99=9 C_ADD50=10 C_ADD99=11
C_SERVICE_CPU=12 C_PROXY_CPU=13 C_ERRORS=14 C_LOADGEN_CPU=15 C_DIRECT_REQUESTS=16 C_PROXY_REQUESTS=17

# --- local answers, upstream embeds and latency against the near-zero service
set_vars "${OFF[@]}"
for c in ${CLIENTS//,/ }; do cell "local_$c" local "$c" proxy "$ZERO_URL" "$ZERO_PIDS"; done
for c in ${CLIENTS//,/ }; do cell "embed_$c" embed "$c" proxy "$ZERO_URL" "$ZERO_PIDS"; done
cell "latency" embed "$LAT_CLIENTS" both "$ZERO_URL" "$ZERO_PIDS"
if [ -n "$SMALL_URL" ]; then
  admin "SET genai-embedding_uri = '$SMALL_URL'"
  set_vars "${OFF[@]}"
  for c in ${CLIENTS//,/ }; do
    [ "$c" = "$BIG" ] && continue
    cell "small_$c" embed "$c" proxy "$SMALL_URL" "$ZERO_PIDS"
  done
  admin "SET genai-embedding_uri = '$ZERO_URL'"
  set_vars "${OFF[@]}"
fi

# --- cache hits
if [ "$CACHE" = yes ]; then
  set_vars genai-cache_ttl_s="$CACHE_TTL_S" genai-cache_max_bytes="$CACHE_MAX_BYTES"
  for c in ${CLIENTS//,/ }; do cell "cache_$c" cache "$c" proxy "$ZERO_URL" "$ZERO_PIDS"; done
  set_vars "${OFF[@]}"
fi

# --- the GPU model: direct, proxy with batching off, proxy with batching on
admin "SET genai-embedding_uri = '$MODEL_URL'"
set_vars "${OFF[@]}"
read -r r0 d0 < <(model_stats)
cell "gpu_direct" embed "$BIG" direct "$MODEL_URL" "$MODEL_PID"
read -r r1 d1 < <(model_stats)
cell "gpu_off" embed "$BIG" proxy "$MODEL_URL" "$MODEL_PID"
read -r r2 d2 < <(model_stats)
if [ "$BATCHING" = yes ]; then
  set_vars genai-batch_window_us="$BATCH_WINDOW_US" genai-batch_max_documents="$BATCH_MAX_DOCUMENTS"
  cell "gpu_on" embed "$BIG" proxy "$MODEL_URL" "$MODEL_PID"
  read -r r3 d3 < <(model_stats)
  set_vars "${OFF[@]}"
fi
load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- figures
# genai_load counts the statements answered; the service counts every request it received
# between two /stats reads around the cell (the cell waits for its last answers, so both
# count the same statements).
per_stmt() {  # per_stmt CELL REQUESTS: upstream requests per statement of a proxy cell
  awk -v n="$2" -v s="$(col "$1" $C_PROXY_REQUESTS)" \
    'BEGIN { if (s > 0) printf "%.3f", n / s; else print "" }'
}
rows=()  # figure | clients | measured | target | met
row() { rows+=("$1|$2|$3|$4|$5"); }
judge() {  # judge VALUE OP LIMIT: yes/no/"" (no target or no value)
  [ -z "$1" ] || [ -z "$3" ] && { echo ""; return; }
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= l : v >= l; print ok ? "yes" : "NO" }'
}
fig() {  # fig FIGURE CLIENTS VALUE [OP LIMIT]
  local target="—" met=""
  if [ $# -ge 5 ]; then
    target="$([ "$4" = "<=" ] && echo ≤ || echo ≥) $5"
    met=$(judge "$3" "$4" "$5")
  fi
  row "$1" "$2" "${3:-n/a}" "$target" "$met"
}
for c in ${CLIENTS//,/ }; do
  fig "proxy CPU µs/statement, local answer (floor)" "$c" "$(col "local_$c" $C_PROXY_CPU)"
done
for c in ${CLIENTS//,/ }; do
  if [ "$CACHE" = yes ]; then
    fig "proxy CPU µs/statement, cache hit" "$c" "$(col "cache_$c" $C_PROXY_CPU)"
  else
    row "proxy CPU µs/statement, cache hit" "$c" "not available" "—" ""
  fi
done
for c in ${CLIENTS//,/ }; do
  v=$(col "embed_$c" $C_PROXY_CPU)
  label="proxy CPU µs/statement, upstream embed (1 document, $DIM dimensions)"
  case $c in
    1) fig "$label" "$c" "$v" "<=" 60 ;;
    64) fig "$label" "$c" "$v" "<=" 25 ;;
    *) fig "$label" "$c" "$v" ;;
  esac
done
for c in ${CLIENTS//,/ }; do
  [ "$c" = "$BIG" ] && continue
  label="proxy CPU µs/statement, upstream embed (1 document, $SMALL_DIM dimensions)"
  if [ -n "$SMALL_URL" ]; then fig "$label" "$c" "$(col "small_$c" $C_PROXY_CPU)"
  else row "$label" "$c" "not measured (needs nginx)" "—" ""; fi
done
gpu_ratio() { awk -v p="$(col "$1" $C_PROXY_RPS)" -v d="$(col gpu_direct $C_DIRECT_RPS)" \
  'BEGIN { if (p != "" && d > 0) printf "%.3f", p / d; else print "" }'; }
fig "proxy/direct throughput, GPU model, batching off" "$BIG" "$(gpu_ratio gpu_off)" ">=" 0.95
if [ "$BATCHING" = yes ]; then
  fig "proxy/direct throughput, GPU model, batching on" "$BIG" "$(gpu_ratio gpu_on)" ">=" 1.5
  fig "upstream requests/statement, batching on" "$BIG" "$(per_stmt gpu_on $((r3 - r2)))"
else
  row "proxy/direct throughput, GPU model, batching on" "$BIG" "batching: not available in this build" "≥ 1.5" ""
  row "upstream requests/statement, batching on" "$BIG" "batching: not available in this build" "—" ""
fi
fig "upstream requests/statement, batching off" "$BIG" "$(per_stmt gpu_off $((r2 - r1)))"
if [ "$CACHE" = yes ]; then
  best=""; best_c=""
  for c in ${CLIENTS//,/ }; do
    v=$(col "cache_$c" $C_PROXY_RPS)
    if [ -n "$v" ] && { [ -z "$best" ] || [ "${v%.*}" -gt "${best%.*}" ]; }; then best=$v; best_c=$c; fi
  done
  fig "cache-hit statements/s (best cell)" "$best_c" "$best" ">=" 50000
else
  row "cache-hit statements/s" "—" "not available" "≥ 50000" ""
fi
ms_to_us() { [ -n "$1" ] && awk -v v="$1" 'BEGIN { printf "%.0f", v * 1000 }' || echo ""; }
fig "proxy-added p50 latency, µs (near-zero service)" "$LAT_CLIENTS" "$(ms_to_us "$(col latency $C_ADD50)")"
fig "proxy-added p99 latency, µs (near-zero service)" "$LAT_CLIENTS" "$(ms_to_us "$(col latency $C_ADD99)")" "<=" 1000

# Details: every cell's own figures.
details=()
detail() {  # detail LABEL CELL
  [ -s "$WORK/$2" ] || { details+=("$1|n/a|n/a|n/a|n/a|n/a|n/a|n/a"); return; }
  local c drps prps d50 p50 d99 p99 scpu pcpu err lcpu dn pn dlat plat
  IFS=$'\t' read -r c _ drps prps _ d50 p50 d99 p99 _ _ scpu pcpu err lcpu dn pn <"$WORK/$2"
  dlat="$d50 / $d99"; plat="$p50 / $p99"
  # A path the cell did not measure shows a dash.
  [ "$dn" = 0 ] && { drps="—"; dlat="—"; scpu="—"; }
  [ "$pn" = 0 ] && { prps="—"; plat="—"; pcpu="—"; }
  details+=("$1|$c|$drps|$prps|$dlat|$plat|$scpu / $pcpu / $lcpu|$err")
}
for c in ${CLIENTS//,/ }; do detail "local answer" "local_$c"; done
for c in ${CLIENTS//,/ }; do detail "upstream embed, near-zero service, $DIM dimensions" "embed_$c"; done
detail "upstream embed, near-zero service, $DIM dimensions" latency
if [ -n "$SMALL_URL" ]; then
  for c in ${CLIENTS//,/ }; do
    [ "$c" = "$BIG" ] || detail "upstream embed, near-zero service, $SMALL_DIM dimensions" "small_$c"
  done
fi
if [ "$CACHE" = yes ]; then for c in ${CLIENTS//,/ }; do detail "cache hit" "cache_$c"; done; fi
detail "GPU model, direct" gpu_direct
detail "GPU model, proxy, batching off" gpu_off
[ "$BATCHING" = yes ] && detail "GPU model, proxy, batching on" gpu_on

{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $load_at_start at the start and $load_at_end at the end;"
  echo "${DURATION}s per cell; proxy: mysql-threads $THREADS, genai-threads $GENAI_THREADS, genai-endpoint_concurrency 1024;"
  echo "near-zero service: $ZERO_KIND; GPU model: model_service $FIXED_MS ms + $PER_DOC_MS ms/document, $DIM dimensions, slots ${SLOTS/#0/unlimited};"
  echo "batching in this build: $BATCHING; cache: $CACHE."
  echo
  echo "| figure | clients | measured | target | met |"
  echo "|---|---:|---:|---|---|"
  for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
  echo
  echo "Cells (CPU µs per request: service from the direct cell, proxy and load generator from the proxy cell):"
  echo
  echo "| cell | clients | direct req/s | proxy req/s | direct p50 / p99 ms | proxy p50 / p99 ms | CPU µs service / proxy / load generator | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for r in "${details[@]}"; do echo "| ${r//|/ | } |"; done
} >"$WORK/report.md"
mkdir -p "$(dirname "$OUT")"
cp "$WORK/report.md" "$OUT"
# The same table for the terminal, columns aligned.
"$PYTHON" - "$WORK/report.md" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
block = []
def flush():
    if not block:
        return
    cells = [[c.strip() for c in l.strip("|").split("|")] for l in block if not set(l) <= set("|-: ")]
    width = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, width)).rstrip())
    block.clear()
for l in lines:
    if l.startswith("|"):
        block.append(l)
    else:
        flush()
        print(l)
flush()
PY
echo "(markdown: $OUT)"
if ! kill -0 "$PROXY_PID" 2>/dev/null; then
  echo "genai_cost.bench: the proxy exited during the run; log tail:" >&2
  tail -20 "$WORK/proxy.log" >&2
  exit 1
fi
