#!/usr/bin/env python3
"""FSE-DP against the baselines on the chiplet presets: ONE table.

For every model (examples/*.mlir), chiplet preset (4 ring, 8 mesh, 16 mesh),
batch (1, 2, 4, 8, 16) and trace (uniform, zipf:1.2 skewed) it runs
`moe-opt --compare=fse-dp,ep,tp,eplb,fastermoe` once and prints one row:
mean latency per decode step (ms) of each strategy, the lower bound, fse-dp's
speedup over the best baseline of the row (below 1: fse-dp is slower), and
the peak on-chip memory of each. Summary lines: geomean and max speedup (all
rows and batch <= 8), fse-dp over the lower bound (geomean), max on-chip
saving. Two moe-opt processes run at a time (2 cores).

    /usr/bin/python3 bench/fse_dp_compare.py [--build build] [--steps 1]
        [--models mixtral-8x7b,...] [--hw edge-chiplet-4,...] [--batches 1,2]
"""

import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATEGIES = ["fse-dp", "ep", "tp", "eplb", "fastermoe"]
BASELINES = STRATEGIES[1:]
MODELS = ["mixtral-8x7b", "qwen3-30b-a3b", "olmoe-1b-7b", "deepseek-v2-lite",
          "phi-3.5-moe"]
HW = ["edge-chiplet-4", "edge-chiplet-8-mesh", "edge-chiplet-16-mesh"]
BATCHES = [1, 2, 4, 8, 16]
TRACES = ["uniform", "zipf:1.2"]


def run(moe_opt, model, hw, batch, trace, steps):
    workload = f"batch={batch},trace={trace},seed=0,steps={steps}"
    cmd = [moe_opt, os.path.join(ROOT, "examples", model + ".mlir"),
           f"--hw={hw}", "--compare=" + ",".join(STRATEGIES),
           f"--workload={workload}", "--report=-", "-o", os.devnull]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr}")
    report = json.loads(out.stdout)
    res = {r["strategy"]: r for r in report["results"]}
    return (model, hw, batch, trace, res)


def mib(b):
    return b / 2**20


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--hw", default=",".join(HW))
    ap.add_argument("--batches", default=",".join(map(str, BATCHES)))
    ap.add_argument("--traces", default=",".join(TRACES))
    args = ap.parse_args()
    moe_opt = os.path.join(args.build, "bin", "moe-opt")
    rows = [(m, h, int(b), t) for m in args.models.split(",")
            for h in args.hw.split(",") for b in args.batches.split(",")
            for t in args.traces.split(",")]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda r: run(moe_opt, *r, args.steps), rows))

    head = (f"{'model':<17}{'hw':<21}{'B':>3} {'trace':<8}"
            + "".join(f"{s + ' ms':>13}" for s in STRATEGIES)
            + f"{'bound ms':>11}{'speedup':>9}{'vs':>10}"
            + "".join(f"{s + ' MiB':>14}" for s in STRATEGIES))
    print(head)
    print("-" * len(head))
    speedups, low_batch, bound_ratios, savings = [], [], [], []
    for model, hw, batch, trace, res in results:
        lat = {s: res[s]["latency_us"] for s in STRATEGIES}
        mem = {s: res[s]["peak_onchip_bytes"] for s in STRATEGIES}
        bound = res["fse-dp"]["lower_bound_us"]
        best = min(BASELINES, key=lambda s: lat[s])
        speedup = lat[best] / lat["fse-dp"]
        speedups.append(speedup)
        if batch <= 8:
            low_batch.append(speedup)
        bound_ratios.append(lat["fse-dp"] / bound)
        whole = max(mem[s] for s in BASELINES)
        if whole > 0:
            savings.append((1 - mem["fse-dp"] / whole, model, hw))
        print(f"{model:<17}{hw:<21}{batch:>3} {trace:<8}"
              + "".join(f"{lat[s] / 1e3:>13.2f}" for s in STRATEGIES)
              + f"{bound / 1e3:>11.2f}{speedup:>9.2f}{best:>10}"
              + "".join(f"{mib(mem[s]):>14.2f}" for s in STRATEGIES))

    def geomean(xs):
        return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else float("nan")

    print("-" * len(head))
    print(f"fse-dp speedup over the best baseline per row: geomean "
          f"{geomean(speedups):.2f}x, max {max(speedups):.2f}x "
          f"(all {len(speedups)} rows); batch <= 8: geomean "
          f"{geomean(low_batch):.2f}x, max {max(low_batch or [0]):.2f}x")
    print(f"fse-dp latency / lower bound: geomean {geomean(bound_ratios):.2f}x,"
          f" max {max(bound_ratios):.2f}x")
    if savings:
        s, m, h = max(savings)
        print(f"max on-chip memory saving vs the baseline using the most "
              f"on-chip memory: {100 * s:.1f} % ({m}, {h}); fse-dp uses "
              f"more in {sum(1 for x in savings if x[0] < 0)} rows")
    else:
        print("on-chip memory saving: no baseline allocates on-chip memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
