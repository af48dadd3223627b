"""Imports every model.onnx of Debian's libonnx-testdata with moe-opt.

Each must import (exit 0) or be refused with one clear `error:` naming the
file (exit 1); a crash, a signal, another exit code or a timeout fails.
Usage: sweep_testdata.py MOE_OPT [DATA_DIR]
"""
import concurrent.futures
import os
import shutil
import subprocess
import sys

moe_opt = shutil.which(sys.argv[1]) or sys.argv[1]
root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/libonnx-testdata/data"
if not os.path.isdir(root):
    print(f"SKIPPED: {root} is absent (install libonnx-testdata)")
    sys.exit(0)

models = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                if f.endswith(".onnx"))


def run(path):
    try:
        p = subprocess.run([moe_opt, path, "--model-summary", "-o", os.devnull],
                           capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return path, "timeout"
    if p.returncode == 0:
        return path, "imported"
    if p.returncode == 1 and f"error: {path}: " in p.stderr and "Stack dump" not in p.stderr:
        return path, "refused"
    return path, f"bad exit {p.returncode}: {p.stderr[-400:]}"


counts, bad = {}, []
with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    for path, outcome in pool.map(run, models):
        key = outcome if outcome in ("imported", "refused") else "bad"
        counts[key] = counts.get(key, 0) + 1
        if key == "bad":
            bad.append((path, outcome))
print(f"models: {len(models)}, imported: {counts.get('imported', 0)}, "
      f"refused: {counts.get('refused', 0)}, bad: {len(bad)}")
for path, outcome in bad:
    print(f"BAD {path}: {outcome}")
sys.exit(1 if bad or not models else 0)
