"""Property test: over random small models, systems and traces, no strategy's
simulated latency beats its lower bound, and every report keeps the contract.

usage: check_bounds.py <moe-opt> <workdir> <count> <seed>
"""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import scenarios  # noqa: E402

moe_opt, workdir, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(workdir, exist_ok=True)
rng = random.Random(seed)
strategies = ["ep", "tp", "eplb", "fastermoe"]
checked = 0
for i in range(count):
    model, hw, spec = scenarios.write_scenario(rng, workdir, i)
    report_path = os.path.join(workdir, f"report{i}.json")
    cmd = [moe_opt, model, f"--hw={hw}", f"--compare={','.join(strategies)}",
           f"--workload={spec}", f"--report={report_path}", "-o", os.devnull]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"scenario {i} ({' '.join(cmd)}) failed:\n{run.stderr}")
    report = json.load(open(report_path))
    for r in report["results"]:
        if r["latency_us"] < r["lower_bound_us"] * (1 - 1e-9):
            sys.exit(f"scenario {i}: {r['strategy']} latency {r['latency_us']} "
                     f"beats its lower bound {r['lower_bound_us']} ({' '.join(cmd)})")
        if r["moe_latency_us"] > r["latency_us"] * (1 + 1e-9):
            sys.exit(f"scenario {i}: {r['strategy']} moe latency exceeds latency")
        checked += 1
print(f"bounds ok: {checked} results in {count} scenarios")
