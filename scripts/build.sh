#!/usr/bin/env bash
# Configures (once) and builds Moesaic in ${BUILD_DIR:-build}.
#   scripts/build.sh            # everything
#   scripts/build.sh moe-opt    # one target
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
linker="-B/usr/lib/llvm-19/bin -fuse-ld=lld"
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$root")}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-19/build/utils/lit/lit.py \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_EXE_LINKER_FLAGS="$linker" \
    -DCMAKE_SHARED_LINKER_FLAGS="$linker" \
    -DCMAKE_MODULE_LINKER_FLAGS="$linker" \
    ${CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$build" -- "$@"
