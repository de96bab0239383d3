#!/usr/bin/env bash
# Builds llama.cpp's llama-server (CPU only) from the source that the npm package node-llama-cpp
# ships (llama/gitRelease.bundle, a git bundle), for `make test-llama`.
#
#   scripts/build-llama-server.sh [LLAMA_DIR]     (default: build/llama)
#
# Everything lands under LLAMA_DIR:
#   npm/        the packed npm tarball and the bundle taken out of it
#   src/        the llama.cpp source tree cloned from the bundle (its gguf-py writes the test models)
#   cmake/      the cmake build tree
#   bin/llama-server, bin/STAMP   the result; a second run with the same pin and flags does nothing
#
# Only the npm registry is contacted (`npm pack`); the web UI is not fetched (LLAMA_USE_PREBUILT_UI=OFF).
# JOBS (default 2) sets the compile parallelism.
set -euo pipefail

NODE_LLAMA_CPP_VERSION=3.21.1   # pinned; ships llama.cpp as llama/gitRelease.bundle
root="$(cd "$(dirname "$0")/.." && pwd)"
top="${1:-build/llama}"
case "$top" in /*) ;; *) top="$root/$top" ;; esac
jobs="${JOBS:-2}"

cmake_flags=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=OFF          # one self-contained binary
  -DGGML_NATIVE=OFF                # no -march=native: the binary runs on any x86-64-v3 machine
  -DGGML_BACKEND_DL=OFF -DGGML_CPU_ALL_VARIANTS=OFF
  -DGGML_METAL=OFF -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_OPENMP=OFF
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF   # else the configure step downloads the web UI
)
stamp_text="node-llama-cpp@$NODE_LLAMA_CPP_VERSION ${cmake_flags[*]}"

if [ -x "$top/bin/llama-server" ] && [ -f "$top/bin/STAMP" ] \
   && [ "$(cat "$top/bin/STAMP")" = "$stamp_text" ] && [ -f "$top/src/gguf-py/gguf/__init__.py" ]; then
  echo "build-llama-server: cached $top/bin/llama-server (node-llama-cpp@$NODE_LLAMA_CPP_VERSION)"
  exit 0
fi

for tool in npm git cmake g++ tar; do
  command -v "$tool" >/dev/null || { echo "build-llama-server: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

start=$(date +%s)
mkdir -p "$top/npm" "$top/bin"

# 1. The npm tarball (only the tarball: no dependencies, no install scripts).
tgz="$top/npm/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz"
if [ ! -f "$tgz" ]; then
  echo "build-llama-server: npm pack node-llama-cpp@$NODE_LLAMA_CPP_VERSION"
  (cd "$top/npm" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >/dev/null)
fi
bundle="$top/npm/$NODE_LLAMA_CPP_VERSION/gitRelease.bundle"
if [ ! -f "$bundle" ]; then
  tmp="$top/npm/unpack.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  tar -xzf "$tgz" -C "$tmp" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
  mkdir -p "$(dirname "$bundle")"
  mv "$tmp/package/llama/gitRelease.bundle" "$tmp/package/llama/llama.cpp.info.json" "$(dirname "$bundle")/"
  rm -rf "$tmp"
fi

# 2. The source tree, cloned from the bundle (re-cloned when the pin changes).
want_head="$(git bundle list-heads "$bundle" | awk '$2=="HEAD"{print $1; exit}')"
have_head="$(git -C "$top/src" rev-parse HEAD 2>/dev/null || true)"
if [ -z "$want_head" ] || [ "$have_head" != "$want_head" ]; then
  echo "build-llama-server: cloning the llama.cpp bundle ($(cat "$(dirname "$bundle")/llama.cpp.info.json" | tr -d ' \n'))"
  rm -rf "$top/src" "$top/cmake"
  git -c advice.detachedHead=false clone -q "$bundle" "$top/src"
fi

# 3. Configure and build only the server target.
echo "build-llama-server: building llama-server with -j$jobs (several minutes on 2 cores)"
cmake -S "$top/src" -B "$top/cmake" "${cmake_flags[@]}" >"$top/cmake-configure.log" 2>&1 \
  || { tail -40 "$top/cmake-configure.log" >&2; exit 1; }
cmake --build "$top/cmake" --target llama-server -j "$jobs" >"$top/cmake-build.log" 2>&1 \
  || { tail -60 "$top/cmake-build.log" >&2; exit 1; }

cp "$top/cmake/bin/llama-server" "$top/bin/llama-server.new"
mv "$top/bin/llama-server.new" "$top/bin/llama-server"
printf '%s' "$stamp_text" >"$top/bin/STAMP"
"$top/bin/llama-server" --version 2>&1 | grep -i -E 'version|built' | head -2 || true
echo "build-llama-server: built $top/bin/llama-server in $(( $(date +%s) - start ))s"
