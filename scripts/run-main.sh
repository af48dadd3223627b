#!/usr/bin/env bash
# The main job, from a fresh checkout: installs what is missing, builds
# moe-opt, compiles a model onto a target system and prints what it produced.
#   scripts/run-main.sh                                  # Mixtral 8x7B on edge-chiplet-4
#   scripts/run-main.sh examples/deepseek-v3.mlir wafer-8x8
# The compiled module (model + attached hw.system) is written to
# build/run-main/<model>.<hw>.mlir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=${1:-$root/examples/mixtral-8x7b.mlir}
hw=${2:-edge-chiplet-4}
build=${BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
mkdir -p "$build/logs"
if ! "$root/scripts/build.sh" moe-opt > "$build/logs/run-main-build.log" 2>&1; then
  tail -n 40 "$build/logs/run-main-build.log" >&2
  echo "error: the build failed (full log: $build/logs/run-main-build.log)" >&2
  exit 1
fi

moe_opt=$build/bin/moe-opt
out_dir=$build/run-main
mkdir -p "$out_dir"
out=$out_dir/$(basename "$model" .mlir).$(basename "$hw" .json).mlir
"$moe_opt" "$model" --hw="$hw" -o "$out"

echo "Compiled $model for '$hw' into $out"
echo
echo "Target system (as attached to the module):"
awk '/^  hw.system /,/^  }$/' "$out"
echo
echo "Model (ops in the verified module, in order of first use):"
awk '/^  moe.model / {print "  moe.model " $2}
     /^    / {op = ($2 == "=") ? $3 : $1
               if (op ~ /^moe\./ && !(op in n)) order[++k] = op
               if (op ~ /^moe\./) n[op]++}
     END {for (i = 1; i <= k; i++) printf "    %5d %s\n", n[order[i]], order[i]}' "$out"
