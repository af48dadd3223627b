"""Random small scenarios for the strategies' property tests: a model (moe
dialect text), a hardware description file (JSON) and a workload spec, all
drawn from a seeded generator so a failure can be replayed.
"""
import json
import os
import random


def model_text(rng, name="rand"):
    hidden = rng.choice([32, 64, 128])
    heads = rng.choice([2, 4])
    kv = rng.choice([1, heads])
    head_dim = hidden // heads
    experts = rng.choice([4, 6, 8, 16])
    top_k = rng.choice([1, 2]) if experts < 8 else rng.choice([1, 2, 4])
    ffn = rng.choice([16, 64, 256])
    layers = rng.choice([1, 2, 3])
    shared = rng.random() < 0.3
    t = f"tensor<?x{hidden}xbf16>"
    route = f"!moe.route<experts = {experts}, top_k = {top_k}>"
    disp = f"!moe.dispatched<experts = {experts}, hidden = {hidden}, bf16>"
    lines = [f"moe.model @{name} {{", f"  %x0 = moe.input : {t}"]
    for l in range(layers):
        x = f"%x{l}"
        lines += [
            f"  %a{l} = moe.attention {x} layer {l} heads {heads} kv_heads {kv} head_dim {head_dim} : {t}",
            f"  %r{l} = moe.router %a{l} layer {l} scoring softmax renormalize : {t} -> {route}",
            f"  %d{l} = moe.dispatch %a{l}, %r{l} : {t}, {route} -> {disp}",
            f"  %e{l} = moe.experts %d{l} layer {l} ffn {ffn} act swiglu weights bf16 : {disp}",
            f"  %c{l} = moe.combine %e{l}, %r{l} : {disp}, {route} -> {t}",
        ]
        out = f"%c{l}"
        if shared:
            lines.append(f"  %s{l} = moe.shared_experts %a{l} layer {l} count 1 ffn {ffn} act swiglu : {t}")
            lines.append(f"  %y{l} = moe.add %c{l}, %s{l} : {t}")
            out = f"%y{l}"
        lines.append(f"  %x{l + 1} = moe.add %a{l}, {out} : {t}")
    lines += [f"  moe.output %x{layers} : {t}", "}"]
    return "\n".join(lines) + "\n"


def hardware(rng, name="rand-hw"):
    kind = rng.choice(["chiplet", "wafer", "gpu-cluster"])
    onchip = rng.choice([0, 65536, 1 << 20, 8 << 20])
    device = {"name": "d", "kind": {"chiplet": "chiplet", "wafer": "die",
                                    "gpu-cluster": "gpu"}[kind],
              "peak_tflops": {"bf16": rng.choice([1, 4, 16, 100])},
              "onchip_bytes": onchip,
              "offchip_bytes": 1 << 34,
              "offchip_gbps": rng.choice([10, 50, 200, 1000])}
    gbps = rng.choice([8, 32, 128, 900])
    lat = rng.choice([5, 20, 500])
    if kind == "gpu-cluster":
        n = rng.choice([2, 3, 4, 8])
        device["count"] = n
        topology = {"kind": "switch", "members": "d", "gbps": gbps,
                    "latency_ns": lat, "type": "nvlink"}
    elif kind == "wafer" or rng.random() < 0.5:
        rows, cols = rng.choice([(1, 2), (2, 2), (2, 3), (3, 3)])
        device["grid"] = [rows, cols]
        topology = {"kind": "mesh", "members": "d", "rows": rows,
                    "cols": cols, "gbps": gbps, "latency_ns": lat,
                    "type": "d2d"}
    else:
        device["count"] = rng.choice([2, 3, 4, 5])
        topology = {"kind": "ring", "members": "d", "gbps": gbps,
                    "latency_ns": lat, "type": "d2d"}
    return {"schema": "moesaic.hw/1", "name": name, "kind": kind,
            "description": "random test system", "sources": {},
            "devices": [device], "topology": topology}


def workload(rng):
    trace = rng.choice(["uniform", "zipf:0.8", "zipf:1.5"])
    return (f"batch={rng.choice([1, 2, 5, 16])},trace={trace},"
            f"seed={rng.randrange(1000)},steps={rng.choice([1, 3])},"
            f"context={rng.choice([16, 512])}")


def write_scenario(rng, directory, index):
    model = os.path.join(directory, f"model{index}.mlir")
    hw = os.path.join(directory, f"hw{index}.json")
    with open(model, "w") as f:
        f.write(model_text(rng))
    with open(hw, "w") as f:
        json.dump(hardware(rng, f"rand-hw-{index}"), f)
    return model, hw, workload(rng)
