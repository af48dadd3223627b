"""Checks a wafer-baseline vs er-mapping report (strategies-e2e.test)."""
import json
import sys

r = json.load(open(sys.argv[1]))
res = {x["strategy"]: x for x in r["results"]}
base, er = res["wafer-baseline"], res["er-mapping"]
assert base["wafer"]["staging"] == "stop-the-world", base["wafer"]
assert er["wafer"]["staging"] == "non-invasive", er["wafer"]
for x in (base, er):
    assert x["latency_us"] >= x["lower_bound_us"], x["strategy"]
    assert x["wafer"]["migration_decisions"] > 0, x["strategy"]
# Same trigger on the same trace: both decide at the same steps.
assert base["wafer"]["migration_decisions"] == er["wafer"]["migration_decisions"]
# NI-Balancer placed chunks in slots (cold links, idle memories); this
# model's experts stream in about a microsecond, so its memories are rarely
# idle long enough and some chunks are forced past the horizon.
assert er["wafer"]["migration_chunks_hidden"] > 0, er["wafer"]
assert base["migration_exposed_us"] > 0, base
assert er["migration_exposed_us"] < base["migration_exposed_us"], (
    er["migration_exposed_us"], base["migration_exposed_us"])
assert er["wafer"]["byte_hops_per_step"] < base["wafer"]["byte_hops_per_step"]
print("ok")
