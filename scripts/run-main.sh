#!/usr/bin/env bash
# The main job, from a fresh checkout: installs what is missing, builds
# moe-opt and the bundled ONNX models, compiles one onto a target system with
# every strategy that serves it, and prints the cost report.
#   scripts/run-main.sh                          # Qwen3-30B-A3B (ONNX) on edge-chiplet-4
#   scripts/run-main.sh build/examples/mixtral-8x7b.onnx edge-chiplet-8-mesh
#   scripts/run-main.sh examples/deepseek-v3.mlir wafer-8x8
#   WORKLOAD=batch=16,trace=uniform,steps=16 scripts/run-main.sh
# Also writes build/run-main/<model>.<hw>.{mlir,schedule.json}.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
# The default model fits the default target's 64 GiB of LPDDR5X (Mixtral-8x7B,
# 87 GiB, needs 8 chiplets: moe-opt warns when the weights do not fit).
model=${1:-$build/examples/qwen3-30b-a3b.onnx}
hw=${2:-edge-chiplet-4}
workload=${WORKLOAD:-batch=4,trace=zipf:1.2,seed=0,steps=8}

"$root/scripts/install-deps.sh"
mkdir -p "$build/logs"
if ! "$root/scripts/build.sh" moe-opt moesaic-onnx-examples > "$build/logs/run-main-build.log" 2>&1; then
  tail -n 40 "$build/logs/run-main-build.log" >&2
  echo "error: the build failed (full log: $build/logs/run-main-build.log)" >&2
  exit 1
fi
moe_opt=$build/bin/moe-opt

# Every registered strategy that serves the target's kind, baselines first so
# the report's speedups read against expert parallelism (the first one).
kind=$("$moe_opt" --list-hw | awk -v n="$(basename "$hw" .json)" '$1 == n {print $2}')
if [ -z "$kind" ] && [ -f "$hw" ]; then
  kind=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kind"])' "$hw")
fi
strategies=$("$moe_opt" --list-strategies | awk -v k="$kind" 'index($2, k) {print $1}' | paste -sd, -)
if [ -z "$strategies" ]; then
  echo "error: no strategy serves hardware '$hw' (kind '$kind')" >&2
  exit 1
fi

out_dir=$build/run-main
mkdir -p "$out_dir"
stem=$out_dir/$(basename "$model" | sed 's/\.[^.]*$//').$(basename "$hw" .json)
echo "Compiling $(basename "$model") onto $hw with: $strategies"
echo "Workload: $workload"
echo
"$moe_opt" "$model" --hw="$hw" --compare="$strategies" --workload="$workload" \
  --report=- --report-format=text --schedule="$stem.schedule.json" -o "$stem.mlir"
echo
echo "Schedule: $stem.schedule.json; lowered IR: $stem.mlir"
echo "(--report-format=json gives the report as JSON; docs/usage.md has every flag.)"
