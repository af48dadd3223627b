"""Compares moe-opt reports of the same fse-dp run with the default, fine
and coarse task granularity (task-granularity.test)."""
import json
import sys

default, fine, coarse = (json.load(open(p))["results"][0] for p in sys.argv[1:4])
for name, r in (("default", default), ("fine", fine), ("coarse", coarse)):
    print(f"{name}: {r['task_granularity']}")
print("same default and fine:", default == fine)
keys = ("comm_bytes", "offchip_bytes", "peak_onchip_bytes")
print(f"same {', '.join(keys)}:", all(fine[k] == coarse[k] for k in keys))
print("fewer tasks:", coarse["tasks"] < fine["tasks"])
print("above the lower bound:",
      all(r["latency_us"] >= r["lower_bound_us"] for r in (fine, coarse)))
print("mean_granules_per_shard:", coarse["fse_dp"]["mean_granules_per_shard"])
