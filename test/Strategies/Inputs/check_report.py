"""Checks a moe-opt cost report against the contract of docs/strategies.md
(the report schema, docs/strategies.md "Report"): every field present with its type, one result per
strategy in order, latency never below the lower bound, speedups against the
first strategy, analytic notes where the estimate is off by more than 5 %.

usage: check_report.py report.json ep,tp,...
"""
import json
import math
import sys


def fail(message):
    sys.exit("check_report: " + message)


def need(obj, key, kind, where):
    if key not in obj:
        fail(f"{where}: missing '{key}'")
    value = obj[key]
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = ok and math.isfinite(value)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        fail(f"{where}: '{key}' should be {kind.__name__}, got {value!r}")
    return value


def main():
    report = json.load(open(sys.argv[1]))
    strategies = sys.argv[2].split(",")
    if report.get("schema") != "moesaic.report/1":
        fail("schema is not moesaic.report/1")
    model = need(report, "model", dict, "report")
    for key, kind in [("name", str), ("num_layers", int),
                      ("params_bytes", int), ("moe_layers", list)]:
        need(model, key, kind, "model")
    for layer in model["moe_layers"]:
        for key, kind in [("index", int), ("num_experts", int), ("top_k", int),
                          ("hidden_size", int), ("expert_ffn_size", int),
                          ("shared_experts", int), ("activation", str),
                          ("routing", str)]:
            need(layer, key, kind, "model.moe_layers[]")
    hardware = need(report, "hardware", dict, "report")
    need(hardware, "name", str, "hardware")
    if need(hardware, "kind", str, "hardware") not in (
            "chiplet", "wafer", "gpu-ndp", "gpu-cluster"):
        fail("hardware.kind is not a known kind")
    need(hardware, "num_devices", int, "hardware")
    workload = need(report, "workload", dict, "report")
    for key, kind in [("batch_tokens", int), ("trace", str), ("seed", int),
                      ("steps", int)]:
        need(workload, key, kind, "workload")

    results = need(report, "results", list, "report")
    if [r.get("strategy") for r in results] != strategies:
        fail(f"results are {[r.get('strategy') for r in results]}, "
             f"expected {strategies}")
    speedup = need(report, "speedup", dict, "report")
    base = results[0]["latency_us"]
    for r in results:
        where = "result " + r["strategy"]
        latency = need(r, "latency_us", float, where)
        need(r, "moe_latency_us", float, where)
        bound = need(r, "lower_bound_us", float, where)
        analytic = need(r, "analytic_latency_us", float, where)
        for key in ("comm_bytes", "offchip_bytes", "peak_onchip_bytes"):
            if need(r, key, int, where) < 0:
                fail(f"{where}: negative {key}")
        if need(r, "migration_exposed_us", float, where) < 0:
            fail(f"{where}: negative migration_exposed_us")
        if latency <= 0 or bound <= 0:
            fail(f"{where}: latency {latency} and bound {bound} must be positive")
        if latency < bound * (1 - 1e-9):
            fail(f"{where}: latency {latency} us beats its lower bound {bound} us")
        if r["moe_latency_us"] > latency * (1 + 1e-9):
            fail(f"{where}: moe_latency_us exceeds latency_us")
        off = abs(analytic - latency) > 0.05 * latency
        if off and not isinstance(r.get("analytic_note"), str):
            fail(f"{where}: analytic {analytic} differs by >5% without a note")
        layers = need(r, "layers", list, where)
        if not layers:
            fail(f"{where}: no layers")
        for layer in layers:
            need(layer, "index", int, where + " layers[]")
            need(layer, "latency_us", float, where + " layers[]")
        for link in need(r, "links", list, where):
            need(link, "src", str, where + " links[]")
            need(link, "dst", str, where + " links[]")
            need(link, "bytes", int, where + " links[]")
            need(link, "busy_us", float, where + " links[]")
        devices = need(r, "devices", list, where)
        if not devices:
            fail(f"{where}: no per-device entries")
        for d in devices:
            need(d, "name", str, where + " devices[]")
            need(d, "onchip_capacity_bytes", int, where + " devices[]")
            need(d, "compute_busy_us", float, where + " devices[]")
            if need(d, "peak_onchip_bytes", int, where + " devices[]") < 0:
                fail(f"{where}: negative per-device peak_onchip_bytes")
        if max(d["peak_onchip_bytes"] for d in devices) != r["peak_onchip_bytes"]:
            fail(f"{where}: peak_onchip_bytes is not the maximum over devices")
        if not math.isclose(speedup.get(r["strategy"], -1), base / latency,
                            rel_tol=1e-9):
            fail(f"{where}: speedup is not first latency / latency")
    print("report ok:", ", ".join(
        f"{r['strategy']}={r['latency_us']:.3f}us (bound {r['lower_bound_us']:.3f})"
        for r in results))


main()
