#!/usr/bin/env bash
# Builds and runs one libFuzzer target for a number of executions.
#   scripts/fuzz.sh hardware 1000000     # the hardware-file loader
#   scripts/fuzz.sh mlir 1000000         # .mlir parser + verifiers + ep pipeline
#   scripts/fuzz.sh onnx 1000000         # ONNX importer + verifiers + ep pipeline
#   scripts/fuzz.sh trace 1000000        # gating-trace files (JSON, CSV, .npy)
#   scripts/fuzz.sh schedule 1000000     # fse-dp schedule JSON as a controller reads it
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
target=${1:?usage: scripts/fuzz.sh hardware|mlir|onnx|trace|schedule|all <runs>}
runs=${2:?usage: scripts/fuzz.sh hardware|mlir|onnx|trace|schedule|all <runs>}

if [ "$target" = all ]; then
  for t in hardware mlir onnx trace schedule; do "$0" "$t" "$runs"; done
  exit 0
fi
case "$target" in
  hardware|mlir|onnx|trace|schedule) ;;
  *) echo "fuzz.sh: unknown target '$target' (hardware, mlir, onnx, trace, schedule, all)" >&2; exit 2 ;;
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
  trace)
    # The first byte picks the format (byte % 3: JSON, CSV, .npy) and the
    # model shape (byte / 3; TraceFileFuzzer.cpp): a small valid trace of
    # each shape in each format, and the .npy fixtures of the unit tests.
    /usr/bin/python3 - "$root" "$seeds" <<'PY'
import json, pathlib, struct, sys
root, seeds = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
shapes = [[(4, 2)], [(8, 2), (4, 1)], [(64, 8)] * 3]  # TraceFileFuzzer.cpp
for m, layers in enumerate(shapes):
    steps = [[[[(t + j * 3 + l) % e for j in range(k)] for t in range(2)]
              for l, (e, k) in enumerate(layers)] for _ in range(2)]
    (seeds / f"json{m}").write_bytes(bytes([m * 3]) + json.dumps({"steps": steps}).encode())
    rows = ["step,layer,token,expert"] + [
        f"{s},{l},{t},{x}" for s, st in enumerate(steps) for l, lay in enumerate(st)
        for t, tok in enumerate(lay) for x in tok]
    (seeds / f"csv{m}").write_bytes(bytes([m * 3 + 1]) + "\n".join(rows).encode() + b"\n")
    if len({k for _, k in layers}) == 1:
        k = layers[0][1]
        header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, %d, 2, %d), }" % (len(layers), k)
        header += " " * (63 - (10 + len(header)) % 64) + "\n"
        payload = b"".join(struct.pack("<i", x) for st in steps for lay in st for tok in lay for x in tok)
        npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload
        (seeds / f"npy{m}").write_bytes(bytes([m * 3 + 2]) + npy)
for n, f in enumerate(sorted((root / "test").glob("**/Inputs/*.npy"))):
    for m in range(3):
        (seeds / f"fixture{n}-{m}").write_bytes(bytes([m * 3 + 2]) + f.read_bytes())
PY
    dict=$root/test/fuzz/trace.dict ;;
  schedule)
    # Schedules the fse-dp pipeline writes for the fuzzer's model and system
    # (ScheduleJsonFuzzer.cpp), with each rule and load order, by the
    # regular build's moe-opt when there is one (the instrumented one is
    # not built for this target).
    moe_opt=$root/build/bin/moe-opt
    [ -x "$moe_opt" ] || moe_opt=$build/bin/moe-opt
    n=0
    for opts in "" "{holders=single}" "{loads=sequential}" "{holders=single loads=sequential}"; do
      "$moe_opt" "$root/examples/tiny-moe.mlir" --hw=edge-chiplet-8-mesh \
        "--strategy=fse-dp$opts" --workload=steps=1 \
        --schedule="$work/full.json" -o /dev/null
      # Without the when/where programs (100 KB, past -max_len; the plan
      # does not read them), compact.
      /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for l in d.get("layers", []):
    l.pop("dataflow", None)
json.dump(d, open(sys.argv[2], "w"), separators=(",", ":"))' "$work/full.json" "$seeds/schedule$n.json"
      n=$((n + 1))
    done
    dict=$root/test/fuzz/schedule.dict ;;
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
