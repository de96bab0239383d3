#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/*_fuzz.cpp) with clang 16, ASan and
# UBSan, then runs each for FUZZ_SECONDS (default 60) from its seed corpus.
#
# A target names the project sources it needs on a line of its own:
#   // fuzz-sources: src/mysql/*.cpp src/genai/request.cpp
# Usage: tests/fuzz/run.sh [target-name ...]   (FUZZ_SECONDS=600 for longer runs,
#        FUZZ_RUNS=N to stop after N executions instead)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build-fuzz
mkdir -p "$out"
CXX=${FUZZ_CXX:-clang++-16}
seconds=${FUZZ_SECONDS:-60}
# libstdc++ 12 offers std::expected only when the compiler announces C++20
# concepts (202002); clang 16 implements what <expected> needs (P0848, which
# clang 14 lacks) but reports an older value, so the fuzz build states it.
flags=(-std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L
       -DASIO_STANDALONE -DGP_VERSION=\"fuzz\" -Isrc)
libs=(-lsimdjson -lcurl -lssl -lcrypto -lsqlite3 -lconfig++ -lspdlog -lfmt -lpthread)

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" _fuzz.cpp)"); done
fi

status=0
for name in "${targets[@]}"; do
  src=tests/fuzz/${name}_fuzz.cpp
  deps=$(sed -n 's|^// fuzz-sources:||p' "$src" | head -1)
  # shellcheck disable=SC2086
  sources=$(ls $deps 2>/dev/null || true)
  echo "== building $name"
  $CXX "${flags[@]}" "$src" $sources "${libs[@]}" -o "$out/$name"
  corpus=$out/corpus/$name
  mkdir -p "$corpus"
  [ -d tests/fuzz/corpus/$name ] && cp -n tests/fuzz/corpus/$name/* "$corpus"/ 2>/dev/null || true
  if [ -n "${FUZZ_RUNS:-}" ]; then label="$FUZZ_RUNS runs"; else label="${seconds}s"; fi
  echo "== running $name for $label"
  run_flags=(-max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 -timeout=10)
  [ -n "${FUZZ_RUNS:-}" ] && run_flags=(-runs="$FUZZ_RUNS" -print_final_stats=1 -rss_limit_mb=4096 -timeout=10)
  if ! "$out/$name" "${run_flags[@]}" -artifact_prefix="$out/$name-" "$corpus" 2>"$out/$name.log"; then
    echo "!! $name found a crash; see $out/$name.log and $out/$name-*"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$out/$name.log" || true
done
exit $status
