#!/usr/bin/env bash
# Builds and runs every benchmark of bench/ and prints one table of figures,
# each with its ratio to its target (bench/README.md: what runs, how figures
# are found, how to add a benchmark).
#   bench/run-all.sh            # everything (several minutes on a busy 2-core machine)
#   bench/run-all.sh --quick    # fewer sizes and shorter timings
#   BUILD_DIR=... bench/run-all.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
export BUILD_DIR=$build
# Every CMake target named moesaic-bench-* or *_bench (bench/README.md)
# plus moe-opt for the script benchmarks.
"$root/scripts/build.sh" moe-opt >/dev/null
targets=$(ninja -C "$build" -t targets all |
  sed -n 's/^\(moesaic-bench-[A-Za-z0-9_-]*\|[A-Za-z0-9_-]*_bench\): phony$/\1/p' |
  grep -v '^cmake_' | sort -u)
# shellcheck disable=SC2086
"$root/scripts/build.sh" -j2 $targets >/dev/null
exec /usr/bin/python3 "$root/bench/_run_all.py" --build "$build" "$@" $targets
