#!/usr/bin/env bash
# Embedding jobs (docs/JOBS.md): a JOBS_BENCH_ROWS-row MariaDB table filled by a backfill job,
# against the same model service driven directly at the same batch size and concurrency (what a
# hand-written worker could do at best: the service alone, no database), in one run; proxy and
# MariaDB CPU per row. The model service is bench/model_service (a GPU-like server:
# fixed-ms + per-doc-ms per request). See bench/jobs_bench.py for the knobs.
set -euo pipefail
BUILD_DIR=$(realpath "${1:-${BUILD_DIR:-build}}")
SOURCE_DIR=${SOURCE_DIR:-$(realpath "$(dirname "$0")/..")}
[ -x "$BUILD_DIR/bench/model_service" ] || cmake --build "$BUILD_DIR" --target model_service
exec /usr/bin/python3 "$SOURCE_DIR/bench/jobs_bench.py" "$BUILD_DIR"
