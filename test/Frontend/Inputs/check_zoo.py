"""Checks the import of every full-size fused model of scripts/model_zoo.py.

Usage: check_zoo.py MOE_OPT ZOO_DIR. For each model of the table
(scripts/gen_example_models.py MODELS), `moe-opt --model-summary` must give
the table's layer count, hidden size, experts, top-k, expert FFN size,
shared experts and routing, with no warnings.
"""
import json
import os
import subprocess
import sys

moe_opt, zoo = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
from gen_example_models import MODELS  # noqa: E402

failures = 0
for name, m in MODELS.items():
    path = os.path.join(zoo, name + ".onnx")
    p = subprocess.run([moe_opt, path, "--model-summary"], capture_output=True, text=True)
    if p.returncode:
        print(f"FAIL {name}: exit {p.returncode}: {p.stderr.strip()}")
        failures += 1
        continue
    s = json.loads(p.stdout)
    scoring = m["scoring"].split()
    dense = m.get("dense_first", (0, 0))[0]
    want = {"num_layers": m["layers"], "hidden_size": m["hidden"],
            "moe_layers": m["layers"] - dense, "warnings": []}
    got = {"num_layers": s["num_layers"], "hidden_size": s["hidden_size"],
           "moe_layers": len(s["moe_layers"]), "warnings": s["warnings"]}
    layer = s["moe_layers"][-1] if s["moe_layers"] else {}
    routing = scoring[0]
    if "groups" in scoring:
        routing += f",groups={scoring[scoring.index('groups') + 1]},pick={scoring[scoring.index('pick') + 1]}"
    if "renormalize" in scoring:
        routing += ",renormalize"
    want.update(num_experts=m["experts"], top_k=m["top_k"], expert_ffn_size=m["ffn"],
                shared_experts=m.get("shared", (0,))[0], routing=routing, index=m["layers"] - 1)
    for k in ("num_experts", "top_k", "expert_ffn_size", "shared_experts", "routing", "index"):
        got[k] = layer.get(k)
    bad = {k: (got[k], v) for k, v in want.items() if got[k] != v}
    print(f"{'FAIL' if bad else 'ok  '} {name}: {len(s['moe_layers'])} MoE layers of "
          f"{layer.get('num_experts')} x {layer.get('expert_ffn_size')}, top-{layer.get('top_k')}, "
          f"{layer.get('routing')}" + (f"  mismatches (got, want): {bad}" if bad else ""))
    failures += bool(bad)
sys.exit(1 if failures else 0)
