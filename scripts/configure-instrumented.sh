#!/usr/bin/env bash
# Configures (once) the instrumented build shared by scripts/fuzz.sh and
# scripts/test-sanitizers.sh: clang++-19, ASan + UBSan on the whole project,
# libFuzzer coverage instrumentation and the fuzz targets, and the Python
# module (linked, like everything here, against clang's shared ASan runtime,
# which lit preloads into /usr/bin/python3 for the pytest suites).
# Assertions stay on (no -DNDEBUG): a failed assert is a finding too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-asan}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$root")}
# Configured once; an older build dir without the Python module is
# reconfigured (the shared runtime is new too).
if [ ! -f "$build/build.ninja" ] ||
   ! grep -q '^MOESAIC_ENABLE_PYTHON:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -gline-tables-only" \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-19/build/utils/lit/lit.py \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld \
    -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DCMAKE_MODULE_LINKER_FLAGS=-fuse-ld=lld \
    -DMOESAIC_ENABLE_SANITIZERS=ON -DMOESAIC_ENABLE_FUZZERS=ON \
    -DMOESAIC_ENABLE_PYTHON=ON \
    ${CMAKE_ARGS:-} >/dev/null
fi
