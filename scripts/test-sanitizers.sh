#!/usr/bin/env bash
# Builds the whole project with AddressSanitizer + UndefinedBehaviorSanitizer
# (clang++-19, ${BUILD_DIR:-build-asan}, see scripts/configure-instrumented.sh)
# and runs the GoogleTest and lit suites on it. Any sanitizer finding aborts
# the process (abort_on_error / halt_on_error), so it fails its test even
# under `not` and even when the test only looks at the exit status.
#   scripts/test-sanitizers.sh            # everything
#   scripts/test-sanitizers.sh lit-only   # skip the unit tests
# Python: the moesaic module is built instrumented too; lit preloads clang's
# shared ASan runtime into /usr/bin/python3 for the pytest suites
# (test/python/lit.local.cfg), so they all run.
# Leaks: LeakSanitizer is on (detect_leaks=1) for every process but the
# Python interpreters and what they start (the interpreter keeps its
# allocations to the end by design).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-asan}
BUILD_DIR=$build "$root/scripts/configure-instrumented.sh"
cmake --build "$build" -- -j2 moe-opt MoesaicUnitTests moesaic_python

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-19/bin/llvm-symbolizer}

status=0
if [ "${1:-}" != lit-only ]; then
  echo "== GoogleTest (ASan + UBSan)"
  "$build/test/unittests/MoesaicUnitTests" --gtest_brief=1 || status=1
fi
echo "== lit (ASan + UBSan)"
/usr/bin/python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv "$build/test" || status=1
if [ $status -eq 0 ]; then
  echo "test-sanitizers.sh: every suite passed under ASan + UBSan"
else
  echo "test-sanitizers.sh: FAILED" >&2
fi
exit $status
