#!/usr/bin/python3
"""Benchmarks the ONNX import of DeepSeek-V3-shaped models against a 1 s target.

Two models, both with DeepSeek-V3's shapes (61 layers, 3 dense, 256 experts,
hidden 7168, expert FFN 2048, grouped sigmoid routing):

* ``fused``: the whole decoder as scripts/model_zoo.py writes it (GQA contrib
  attention, batched expert weights), weights as shape-only graph inputs;
* ``per-expert``: every MoE layer decomposed as a torch trace writes it, one
  Gather + 3 MatMuls + SiLU + Mul + ScatterElements/Add per expert (about
  3,000 nodes per layer), to show the import stays linear in the node count.

For each, the best of N runs of the in-process import time that
`moe-opt MODEL --model-summary --onnx-import-timing` reports (parse, ONNX
shape inference, importer rules, recognition, emission, verification,
bytecode for MlirOptMain; process start-up excluded), the phases, and the
ratio of the 1 s target to it (> 1: faster than the target).

Usage: bench/onnx_import.py [--moe-opt build/bin/moe-opt] [--runs 5] [--per-expert]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
import model_zoo  # noqa: E402
from gen_example_models import MODELS  # noqa: E402

TARGET_S = 1.0


def per_expert_model(layers=61, dense=3, hidden=7168, experts=256, k=8, ffn=2048):
    """A torch-trace-shaped decoder body: per-expert NonZero/Gather/MatMuls."""
    g = model_zoo.Graph()
    x = g.input("hidden_states", TensorProto.BFLOAT16, ["tokens", hidden])
    bf = TensorProto.BFLOAT16
    for layer in range(layers):
        p = f"layers.{layer}"
        if layer < dense:
            x = g.op("Add", [x, model_zoo.ffn(g, x, p + ".mlp", hidden, 18432)])
            continue
        logits = g.op("MatMul", [x, g.weight(p + ".gate", [hidden, experts], bf)])
        probs = g.op("Softmax", [logits], axis=-1)
        w, idx = g.op("TopK", [probs, g.const([k])], outs=2, axis=-1)
        w = g.op("Div", [w, g.op("ReduceSum", [w, g.const([-1])], keepdims=1)])
        mask = g.op("Transpose", [g.op("OneHot", [idx, g.const([experts]), g.const([0, 1])], axis=-1)],
                    perm=[2, 1, 0])
        out = g.op("ConstantOfShape", [g.op("Shape", [x])],
                   value=helper.make_tensor("z", bf, [1], [0]))
        for e in range(experts):
            sel = g.op("NonZero", [g.op("Gather", [mask, g.const(e)], axis=0)])
            rows = g.op("Gather", [sel, g.const([1])], axis=0)
            rows = g.op("Squeeze", [rows, g.const([0])])
            cur = g.op("Gather", [x, rows], axis=0)
            y = model_zoo.ffn(g, cur, f"{p}.experts.{e}", hidden, ffn)
            y = g.op("Mul", [y, g.op("Unsqueeze", [g.op("ReduceSum", [g.op("Gather", [w, rows], axis=0),
                                                                      g.const([-1])], keepdims=0),
                                                   g.const([-1])])])
            index = g.op("Expand", [g.op("Unsqueeze", [rows, g.const([-1])]), g.op("Shape", [y])])
            out = g.op("Add", [out, g.op("ScatterElements", [g.op("ConstantOfShape", [g.op("Shape", [x])],
                                                                   value=helper.make_tensor("z", bf, [1], [0])),
                                                             index, y], axis=0)])
        x = g.op("Add", [x, out])
    graph = helper.make_graph(g.nodes, "deepseek_v3_per_expert", g.inputs,
                              [helper.make_tensor_value_info(x, bf, ["tokens", hidden])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def import_ms(moe_opt, path, extra, runs):
    """Best in-process import time (--onnx-import-timing) and the phases."""
    best, phases = None, {}
    for _ in range(runs):
        p = subprocess.run([moe_opt, path, "--onnx-import-timing"] + extra,
                           capture_output=True, text=True)
        if p.returncode:
            sys.exit(f"failed: {path}\n{p.stderr}")
        run = {}
        for line in p.stderr.splitlines():
            if line.startswith("onnx-import: "):
                name, ms = line[len("onnx-import: "):].rsplit(": ", 1)
                run[name] = float(ms.split()[0])
        total = run["total with bytecode"]
        if best is None or total < best:
            best, phases, out = total, run, p.stdout
    return best, phases, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moe-opt", default=os.path.join(HERE, "..", "build", "bin", "moe-opt"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--per-expert", action="store_true",
                    help="also the 416k-node per-expert model (slow to generate)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = []
        fused = os.path.join(tmp, "deepseek-v3.onnx")
        onnx.save(model_zoo.fused_model("deepseek-v3", MODELS["deepseek-v3"]), fused)
        models.append(("fused", fused))
        if a.per_expert:
            decomposed = os.path.join(tmp, "deepseek-v3-per-expert.onnx")
            onnx.save(per_expert_model(), decomposed)
            models.append(("per-expert", decomposed))
        for label, path in models:
            nodes = len(onnx.load(path).graph.node)
            ms, phases, out = import_ms(a.moe_opt, path, ["--model-summary"], a.runs)
            if '"num_experts": 256' not in out:
                sys.exit(f"{label}: the summary lacks the 256-expert layers")
            print(f"deepseek-v3 {label:10s} nodes {nodes:7d}  {os.path.getsize(path) / 1e6:6.2f} MB  "
                  f"import {ms / 1e3:7.3f} s  {nodes / ms:8.1f} knodes/s  "
                  f"target {TARGET_S:.1f} s / import = {TARGET_S * 1e3 / ms:6.2f}x")
            for name, t in phases.items():
                print(f"    {name:32s} {t:10.1f} ms")


if __name__ == "__main__":
    main()
