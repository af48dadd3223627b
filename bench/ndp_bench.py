#!/usr/bin/python3
"""GPU-NDP benchmark: ndp-tp against MoE-OnDemand, Fiddler and MoNDE.

One run, one table. For each model (examples/*.mlir), batch (1, 2, 4) and
trace (uniform; Zipf 1.2 with popularity ranks rotating by 0.2 % of the experts per
step), `moe-opt --compare` lowers, simulates and reports the four GPU-NDP
strategies on one hardware preset. Columns: mean decode-step latency of
each strategy (ms), the lower bound, ndp-tp's speedup over each baseline
and over the best of them, ndp-tp's VRAM in use, PCIe bytes per step and
NDP balance (max/mean busy time over the units); MoNDE's balance beside
it. Prints the geometric and arithmetic mean speedup over the best
baseline and checks that no latency is below its lower bound.

    bench/ndp_bench.py [--build build] [--hw gpu-ndp-edge] [--steps 32]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["qwen3-30b-a3b", "mixtral-8x7b", "deepseek-v2-lite", "olmoe-1b-7b",
          "phi-3.5-moe"]
BASELINES = ["ndp-ondemand", "ndp-fiddler", "ndp-monde"]
TRACES = {"uniform": "trace=uniform", "zipf+drift": "trace=zipf:1.2,drift=0.002"}


def run(moe_opt, model, hw, batch, trace, steps, seed):
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        cmd = [moe_opt, os.path.join(ROOT, "examples", model + ".mlir"),
               "--hw=" + hw,
               "--compare=" + ",".join(BASELINES + ["ndp-tp"]),
               "--workload=batch=%d,%s,seed=%d,steps=%d" % (batch, trace, seed,
                                                            steps),
               "--report=" + report.name, "-o", os.devnull]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit("error: %s\n%s" % (" ".join(cmd), proc.stderr.strip()))
        with open(report.name) as f:
            return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--hw", default="gpu-ndp-edge")
    ap.add_argument("--steps", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    moe_opt = os.path.join(args.build, "bin", "moe-opt")

    head = ("| model | batch | trace | ondemand ms | fiddler ms | monde ms | "
            "ndp-tp ms | bound ms | x ondemand | x fiddler | x monde | "
            "x best | VRAM GiB | PCIe MB/step | bal tp | bal monde |")
    print("GPU-NDP decode latency on %s, %d steps per run\n" % (args.hw,
                                                                 args.steps))
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    best_speedups, below_bound = [], []
    for model in MODELS:
        for batch in (1, 2, 4):
            for tname, trace in TRACES.items():
                rep = run(moe_opt, model, args.hw, batch, trace, args.steps,
                          args.seed)
                res = {r["strategy"]: r for r in rep["results"]}
                lat = {s: res[s]["latency_us"] for s in res}
                for s, r in res.items():
                    if r["latency_us"] < r["lower_bound_us"] * (1 - 1e-9):
                        below_bound.append((model, batch, tname, s))
                tp = res["ndp-tp"]
                best = min(lat[b] for b in BASELINES)
                best_speedups.append(best / lat["ndp-tp"])
                ndp = tp["ndp"]
                print("| %s | %d | %s | %.1f | %.1f | %.1f | %.2f | %.2f | "
                      "%.1f | %.2f | %.2f | **%.2f** | %.1f | %.0f | %.2f | "
                      "%.2f |" % (
                          model, batch, tname,
                          lat["ndp-ondemand"] / 1e3, lat["ndp-fiddler"] / 1e3,
                          lat["ndp-monde"] / 1e3, lat["ndp-tp"] / 1e3,
                          tp["lower_bound_us"] / 1e3,
                          lat["ndp-ondemand"] / lat["ndp-tp"],
                          lat["ndp-fiddler"] / lat["ndp-tp"],
                          lat["ndp-monde"] / lat["ndp-tp"],
                          best / lat["ndp-tp"],
                          ndp["vram_used_bytes"] / 2**30,
                          ndp["pcie_bytes"] / args.steps / 1e6,
                          ndp["ndp_balance"],
                          res["ndp-monde"]["ndp"]["ndp_balance"]))
    geo = math.exp(sum(math.log(s) for s in best_speedups) / len(best_speedups))
    print("\nndp-tp over the best baseline: mean %.2fx, geometric mean %.2fx, "
          "min %.2fx, max %.2fx over %d configurations" % (
              sum(best_speedups) / len(best_speedups), geo, min(best_speedups),
              max(best_speedups), len(best_speedups)))
    if below_bound:
        print("error: latency below its lower bound: %s" % below_bound)
        return 1
    print("no latency below its lower bound")
    return 0


if __name__ == "__main__":
    sys.exit(main())
