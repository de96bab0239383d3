#!/usr/bin/env bash
# Robustness soak: many idle sessions and a long fault-injection load against
# the real binary (bench/soak.py). Part of `make bench`; see docs/RELIABILITY.md.
# Environment knobs: SOAK_SESSIONS (idle sessions held, default 10000),
# SOAK_CYCLES (open/close cycles, default 4), SOAK_DURATION (seconds of fault
# load, default 120), SOAK_CLIENTS (default 256), SOAK_OUTAGES (service
# kills during the load, default 3).
set -euo pipefail

BUILD_DIR=$(realpath "${1:-${BUILD_DIR:-build}}")
SOURCE_DIR=${SOURCE_DIR:-$(realpath "$(dirname "$0")/..")}
PYTHON=/usr/bin/python3
export GP_BINARY="$BUILD_DIR/genaiproxy"
[ -x "$GP_BINARY" ] || { echo "no proxy binary at $GP_BINARY" >&2; exit 1; }

# Both this script's clients and the proxy (which inherits the limit) hold one
# descriptor per session.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

status=0
"$PYTHON" "$SOURCE_DIR/bench/soak.py" connections --sessions "${SOAK_SESSIONS:-10000}" \
  --cycles "${SOAK_CYCLES:-4}" --hold 2 || status=1
"$PYTHON" "$SOURCE_DIR/bench/soak.py" faults --duration "${SOAK_DURATION:-120}" \
  --clients "${SOAK_CLIENTS:-256}" --outages "${SOAK_OUTAGES:-3}" || status=1
exit $status
