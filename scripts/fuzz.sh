#!/usr/bin/env bash
# Builds and runs one libFuzzer target for a number of executions.
#   scripts/fuzz.sh hardware 1000000     # the hardware-file loader
#   scripts/fuzz.sh mlir 1000000         # .mlir parser + verifiers + ep pipeline
#   scripts/fuzz.sh onnx 1000000         # ONNX importer + verifiers + ep pipeline
#   scripts/fuzz.sh all 100000           # each of them in turn
# The targets live in test/fuzz; they are built in the instrumented
# configuration shared with scripts/test-sanitizers.sh (${BUILD_DIR:-build-asan},
# clang++-19, MOESAIC_ENABLE_FUZZERS=ON, MOESAIC_ENABLE_SANITIZERS=ON).
# Seeds come from the repository's fixtures; new corpus entries, the log and
# any crashing input go to $BUILD_DIR/fuzz/<target>/. Exit status: 0 when the
# run finished without a finding, non-zero otherwise (libFuzzer's).
# Extra libFuzzer flags: FUZZ_FLAGS="-max_total_time=600" (a time budget: the
# run stops at whichever of -runs and -max_total_time comes first; the log's
# stat::number_of_executed_units is the count to report).
# FUZZ_NO_BUILD=1 runs the binary already built (e.g. while ninja is busy).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-asan}
target=${1:?usage: scripts/fuzz.sh hardware|mlir|onnx|all <runs>}
runs=${2:?usage: scripts/fuzz.sh hardware|mlir|onnx|all <runs>}

if [ "$target" = all ]; then
  for t in hardware mlir onnx; do "$0" "$t" "$runs"; done
  exit 0
fi
case "$target" in
  hardware|mlir|onnx) ;;
  *) echo "fuzz.sh: unknown target '$target' (hardware, mlir, onnx, all)" >&2; exit 2 ;;
esac

if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  BUILD_DIR=$build "$root/scripts/configure-instrumented.sh"
  cmake --build "$build" -- -j2 "moesaic-fuzz-$target"
fi

work=$build/fuzz/$target
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$work/corpus" "$work/artifacts"
case "$target" in
  hardware)
    cp "$root"/hardware/*.json "$seeds"/
    find "$root/test" -path '*Inputs*' -name '*.json' -exec cp --backup=numbered {} "$seeds"/ \;
    dict=$root/test/fuzz/hardware.dict ;;
  mlir)
    # Whole files and every -split-input-file chunk of the lit tests.
    /usr/bin/python3 - "$root" "$seeds" <<'PY'
import pathlib, sys
root, seeds = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
files = sorted(root.glob("examples/*.mlir")) + sorted(root.glob("test/**/*.mlir"))
n = 0
for f in files:
    for chunk in f.read_text().split("// -----"):
        (seeds / f"seed{n:04d}.mlir").write_text(chunk)
        n += 1
PY
    dict=$root/test/fuzz/mlir.dict ;;
  onnx)
    find "$root/test" -name '*.onnx' -size -256k -exec cp --backup=numbered {} "$seeds"/ \;
    # ONNX's own conformance models (libonnx-testdata), the small ones.
    n=0
    while IFS= read -r m; do
      cp "$m" "$seeds/testdata$n.onnx"; n=$((n + 1))
    done < <(find /usr/share/libonnx-testdata/data -name model.onnx -size -64k 2>/dev/null | sort)
    dict=$root/test/fuzz/onnx.dict ;;
esac

log=$work/fuzz-$(date -u +%Y%m%dT%H%M%S).log
echo "fuzz.sh: $target, $runs runs, seeds $(ls "$seeds" | wc -l), log $log"
set +e
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$build/bin/moesaic-fuzz-$target" \
  -runs="$runs" -max_len=65536 -timeout=60 -rss_limit_mb=3072 \
  -malloc_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" \
  ${dict:+$( [ -f "$dict" ] && echo "-dict=$dict")} \
  ${FUZZ_FLAGS:-} \
  "$work/corpus" "$seeds" >"$log" 2>&1
rc=$?
set -e
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)|ERROR|SUMMARY|Test unit written' "$log" || true
if [ $rc -eq 72 ]; then
  # libFuzzer's exit status after SIGINT: stopped early, no finding.
  echo "fuzz.sh: $target interrupted without findings (see the executed-units count above)"
elif [ $rc -ne 0 ]; then
  echo "fuzz.sh: $target FAILED (exit $rc); inputs in $work/artifacts, log $log" >&2
else
  echo "fuzz.sh: $target finished without findings"
fi
exit $rc
