#!/usr/bin/env bash
# Runs every benchmark script bench/*.bench.sh against the binaries of BUILD_DIR.
# Each script prints its own table; the run fails when any script fails.
# Add a benchmark by dropping a new NAME.bench.sh here: it receives BUILD_DIR
# as $1 and SOURCE_DIR in the environment.
set -euo pipefail

BUILD_DIR=$(realpath "${1:-build}")
SOURCE_DIR=$(realpath "$(dirname "$0")/..")
export BUILD_DIR SOURCE_DIR

status=0
for script in "$SOURCE_DIR"/bench/*.bench.sh; do
  [ -e "$script" ] || continue
  echo "== $(basename "$script" .bench.sh)"
  if ! bash "$script" "$BUILD_DIR"; then
    echo "benchmark $(basename "$script") failed" >&2
    status=1
  fi
  echo
done
exit $status
