#!/usr/bin/env bash
# Named models (SPEC-MODELS): p50/p99 with two endpoints, one answering 10% of its requests after
# 2 s, hedging off vs on; and the fast-path cost of grants, quotas and accounting (statements/s
# with no grant rows vs a grant row and a quota never reached). bench/models_bench.py does the
# work; docs/BENCHMARKS.md holds the figures.
# Environment knobs: MODELS_BENCH_CLIENTS (hedging clients, default 8), MODELS_BENCH_STATEMENTS
# (default 400), MODELS_BENCH_HEDGE_MS (default 100), MODELS_BENCH_LOAD_CLIENTS (access cells,
# default 32), MODELS_BENCH_DURATION (seconds per access cell, default 5), MODELS_BENCH_ROUNDS
# (default 3).
set -euo pipefail

BUILD_DIR=$(realpath "${1:-${BUILD_DIR:-build}}")
SOURCE_DIR=${SOURCE_DIR:-$(realpath "$(dirname "$0")/..")}
PYTHON=/usr/bin/python3
export BUILD_DIR GP_BINARY="$BUILD_DIR/genaiproxy"
[ -x "$GP_BINARY" ] || { echo "no proxy binary at $GP_BINARY" >&2; exit 1; }
for target in genai_load model_service; do
  [ -x "$BUILD_DIR/bench/$target" ] || cmake --build "$BUILD_DIR" --target "$target"
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

status=0
"$PYTHON" "$SOURCE_DIR/bench/models_bench.py" hedging --clients "${MODELS_BENCH_CLIENTS:-8}" \
  --statements "${MODELS_BENCH_STATEMENTS:-400}" --hedge-after-ms "${MODELS_BENCH_HEDGE_MS:-100}" ||
  status=1
echo
"$PYTHON" "$SOURCE_DIR/bench/models_bench.py" access --clients "${MODELS_BENCH_LOAD_CLIENTS:-32}" \
  --duration "${MODELS_BENCH_DURATION:-5}" --rounds "${MODELS_BENCH_ROUNDS:-3}" || status=1
exit $status
