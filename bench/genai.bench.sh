#!/usr/bin/env bash
# GENAI embed through the proxy vs. direct HTTP to the same test service.
# Environment knobs: GENAI_BENCH_DURATION (seconds per cell, default 5),
# GENAI_BENCH_CLIENTS (default 1,32,512), GENAI_BENCH_DELAYS (service delay in
# ms, default 0,20), GENAI_BENCH_DOCUMENTS (documents per request, default 1),
# GENAI_BENCH_SERVICE_WORKERS (test service processes, default 2),
# GENAI_BENCH_PROXY_THREADS (mysql and genai threads of the proxy, default 2),
# GENAI_BENCH_ENDPOINT_CONCURRENCY (genai-endpoint_concurrency, default 1024 so
# that the proxy may hold as many upstream requests as the direct clients do;
# the product default, 64, caps 512 clients at 64 requests in flight).
set -euo pipefail

BUILD_DIR=$(realpath "${1:-${BUILD_DIR:-build}}")
SOURCE_DIR=${SOURCE_DIR:-$(realpath "$(dirname "$0")/..")}
PYTHON=/usr/bin/python3
DURATION=${GENAI_BENCH_DURATION:-5}
CLIENTS=${GENAI_BENCH_CLIENTS:-1,32,512}
DELAYS=${GENAI_BENCH_DELAYS:-0,20}
DOCUMENTS=${GENAI_BENCH_DOCUMENTS:-1}
WORKERS=${GENAI_BENCH_SERVICE_WORKERS:-2}
PROXY_THREADS=${GENAI_BENCH_PROXY_THREADS:-2}
ENDPOINT_CONCURRENCY=${GENAI_BENCH_ENDPOINT_CONCURRENCY:-1024}

PROXY="$BUILD_DIR/genaiproxy"
LOAD="$BUILD_DIR/bench/genai_load"
[ -x "$LOAD" ] || cmake --build "$BUILD_DIR" --target genai_load
[ -x "$PROXY" ] || { echo "no proxy binary at $PROXY" >&2; exit 1; }

# 512 clients mean 512 client sockets plus the upstream pool in the proxy.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK=$(mktemp -d -t genai-bench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

export PYTHONPATH="$SOURCE_DIR/tests/integration"
read -r SERVICE_PORT ADMIN_PORT CLIENT_PORT < <("$PYTHON" -c \
  'import harness; print(harness.free_port(), harness.free_port(), harness.free_port())')

"$PYTHON" "$SOURCE_DIR/tests/support/fake_llama.py" --port "$SERVICE_PORT" \
  --workers "$WORKERS" >"$WORK/service.log" 2>&1 &
pids+=($!)

SERVICE_URL="http://127.0.0.1:$SERVICE_PORT/embedding"
"$PYTHON" - "$WORK" "$ADMIN_PORT" "$CLIENT_PORT" "$SERVICE_URL" "$PROXY_THREADS" \
  "$ENDPOINT_CONCURRENCY" <<'PY'
import sys, harness
work, admin, client, url, threads, concurrency = sys.argv[1:]
with open(f"{work}/genaiproxy.cnf", "w") as f:
    f.write(harness.render_config(work, int(admin), int(client),
                                  genai={"embedding_uri": url, "threads": int(threads),
                                         "endpoint_concurrency": int(concurrency)},
                                  mysql={"threads": int(threads), "max_connections": 4096}))
PY
"$PROXY" --config "$WORK/genaiproxy.cnf" --datadir "$WORK" >"$WORK/proxy.log" 2>&1 &
pids+=($!)

"$PYTHON" -c "
import harness
for port in ($SERVICE_PORT, $ADMIN_PORT, $CLIENT_PORT):
    harness.wait_port(port)
"
SERVICE_PID=${pids[0]}
PROXY_PID=${pids[1]}
# The service's worker processes are children of the first one.
SERVICE_PIDS=$(echo "$SERVICE_PID" $(cat "/proc/$SERVICE_PID/task/$SERVICE_PID/children" 2>/dev/null) |
  tr ' ' ',' | sed 's/,*$//')

echo "GENAI embed, $DOCUMENTS document(s) per request, ${DURATION}s per cell," \
  "test service with $WORKERS worker(s), proxy with $PROXY_THREADS mysql + $PROXY_THREADS genai threads," \
  "genai-endpoint_concurrency=$ENDPOINT_CONCURRENCY; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$LOAD" --url "$SERVICE_URL" --control-url "http://127.0.0.1:$SERVICE_PORT/control" \
  --proxy-port "$CLIENT_PORT" --clients "$CLIENTS" --delays "$DELAYS" \
  --documents "$DOCUMENTS" --duration "$DURATION" \
  --proxy-pids "$PROXY_PID" --service-pids "$SERVICE_PIDS" || {
  echo "--- proxy log (tail)" >&2; tail -20 "$WORK/proxy.log" >&2; exit 1; }
