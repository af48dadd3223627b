#!/usr/bin/python3
"""Compile-time scaling of moe-opt in layers x experts.

For shape-only ONNX decoders (scripts/model_zoo.py's fused form): the real
DeepSeek-V3 (61 layers, 256 experts), Qwen3-235B-A22B (94, 128) and
Mixtral-8x22B (56, 8), and synthetic decoders that double layers and experts
together (L, E) = (4, 8), (8, 16), ... measures with os.wait4 (the child's own
user+sys CPU time and peak RSS, what /usr/bin/time -v prints):
  import   moe-opt MODEL.onnx -o /dev/null          (ONNX -> moe dialect)
  compare  moe-opt MODEL.onnx --hw=P --compare=<every strategy serving P's
           kind> --workload=batch=16,steps=1 --mlir-timing
           for one preset P per system kind (strategies and presets come
           from --list-strategies / --list-hw, so new ones are picked up)
  passes   per-pass wall time from moe-opt's own --mlir-timing, summed over
           the strategies of the compare run
Then fits log(time - startup) = a + k log(L x E) by least squares over the
synthetic models (startup: moe-opt --list-hw, the process' fixed cost) and
prints k, the growth exponent (target: k <= 1.1).

    /usr/bin/python3 bench/compile_scaling.py [--quick] [--moe-opt PATH]
--quick stops the synthetic series at L x E = 8192 and measures it on the
first target kind only (for bench/run-all.sh --quick); the default goes to
(128, 256) on every kind.
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _benchlib as benchlib  # noqa: E402

BENCH = "compile_scaling"
REAL = ["deepseek-v3", "qwen3-235b-a22b", "mixtral-8x22b"]
PREFER = ("edge-chiplet-16-mesh", "wafer-8x8", "gpu-ndp-edge", "nvl72")


def pass_times(timing_text):
    """{pass name: wall s} from --mlir-timing's report (nested names kept)."""
    times = {}
    for line in timing_text.splitlines():
        m = re.match(r"\s*([0-9.]+) \(\s*[-0-9.]+%\)\s+(.*\S)\s*$", line)
        if not m:
            continue
        name = m.group(2).strip()
        if name in ("Total", "Rest") or name.startswith("'"):
            continue
        times[name] = times.get(name, 0.0) + float(m.group(1))
    return times


def measure_model(moe_opt, path, targets, tmp, kinds):
    row = {"import": benchlib.measure([moe_opt, path, "-o", os.devnull])}
    for kind, (preset, strategies) in targets.items():
        if kind not in kinds:
            continue
        err = os.path.join(tmp, "timing.txt")
        r = benchlib.measure([moe_opt, path, "--hw=" + preset, "--compare=" + ",".join(strategies),
                              "--workload=batch=16,steps=1", "--report=" + os.devnull,
                              "--mlir-timing", "-o", os.devnull], stderr_path=err, check=False)
        text = open(err).read()
        if r["exit"] != 0:
            # A model the target cannot hold (DeepSeek-V3's dense weights on
            # a 16 GB GPU) is refused with an error: a result, not a failure.
            if "does not fit" in text:
                row[kind] = None
                continue
            raise RuntimeError(f"moe-opt failed ({r['exit']}) on {path} for {preset}:\n"
                               + text[-2000:])
        r["passes"] = pass_times(text)
        row[kind] = r
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--moe-opt")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--models", default=os.path.join(benchlib.ROOT, "build", "bench-models"))
    a = ap.parse_args()
    moe_opt = benchlib.moe_opt_path(a.moe_opt)
    os.makedirs(a.models, exist_ok=True)

    presets = benchlib.one_preset_per_kind(moe_opt, PREFER)
    strategies = benchlib.list_strategies(moe_opt)
    targets = {}
    for kind, preset in sorted(presets.items()):
        names = [n for n, kinds in strategies if kind in kinds]
        if names:
            targets[kind] = (preset, names)
    print(f"# compile scaling (load average {benchlib.load_average():.1f})")
    for kind, (preset, names) in targets.items():
        print(f"#   {kind:12} {preset:22} --compare={','.join(names)}")

    startup = statistics.median(
        benchlib.measure([moe_opt, "--list-hw"])["cpu_s"] for _ in range(3))
    print(f"# process startup (moe-opt --list-hw): {startup * 1e3:.1f} ms CPU")

    series = [(4, 8), (8, 16), (16, 32), (32, 64), (64, 128)]
    if not a.quick:
        series.append((128, 256))
    models = [(n, None, None, benchlib.zoo_model(a.models, n)) for n in REAL]
    for layers, experts in series:
        name = f"synthetic-L{layers}-E{experts}"
        path = benchlib.write_model(os.path.join(a.models, name + ".onnx"), name,
                                    benchlib.synthetic_shape(layers, experts))
        models.append((name, layers, experts, path))

    from gen_example_models import MODELS
    kinds = list(targets)
    header = f"{'model':24} {'L':>4} {'E':>4} {'LxE':>6} {'import cpu s':>12} {'MB':>6}"
    for kind in kinds:
        header += f" {kind + ' cpu s':>18} {'wall s':>7} {'MB':>6}"
    print(header)
    rows = []
    for name, layers, experts, path in models:
        if layers is None:
            layers, experts = MODELS[name]["layers"], MODELS[name]["experts"]
        # --quick: the synthetic series on the first target kind only.
        measured = kinds[:1] if a.quick and name.startswith("synthetic") else kinds
        m = measure_model(moe_opt, path, targets, a.models, measured)
        rows.append((name, layers, experts, m))
        line = (f"{name:24} {layers:4} {experts:4} {layers * experts:6} "
                f"{m['import']['cpu_s']:12.3f} {m['import']['rss_mb']:6.0f}")
        for kind in kinds:
            if kind in m and m[kind] is None:
                line += f" {'does not fit':>18} {'-':>7} {'-':>6}"
            elif kind in m:
                line += f" {m[kind]['cpu_s']:18.3f} {m[kind]['wall_s']:7.2f} {m[kind]['rss_mb']:6.0f}"
            else:
                line += f" {'-':>18} {'-':>7} {'-':>6}"
        print(line, flush=True)

    # Passes of the largest synthetic model, slowest first.
    name, layers, experts, m = rows[-1]
    print(f"# passes of {name} ({kinds[0]}), wall s summed over strategies (--mlir-timing):")
    for p, t in sorted(m[kinds[0]]["passes"].items(), key=lambda kv: -kv[1])[:12]:
        print(f"#   {t:9.4f}  {p}")

    synth = [r for r in rows if r[0].startswith("synthetic")]
    x = [l * e for _, l, e, _ in synth]

    def exponent(values):
        return benchlib.loglog_slope(x, [max(v - startup, 1e-4) for v in values])

    print("# fitted exponent k of (CPU time - startup) ~ (L x E)^k over the synthetic series:")
    k_import = exponent([m["import"]["cpu_s"] for *_, m in synth])
    print(f"#   import            k = {k_import:.3f}")
    benchlib.figure(BENCH, "import cpu exponent in LxE", round(k_import, 3), "", 1.1, "lower")
    for kind in kinds:
        if any(kind not in m or m[kind] is None for *_, m in synth):
            continue
        k = exponent([m[kind]["cpu_s"] for *_, m in synth])
        print(f"#   compare {kind:9} k = {k:.3f}")
        benchlib.figure(BENCH, f"compare[{kind}] cpu exponent in LxE", round(k, 3), "", 1.1,
                        "lower")
        # Passes: the sum of the strategies' lowering passes alone.
        pk = benchlib.loglog_slope(
            x, [max(sum(t for p, t in m[kind]["passes"].items()
                        if "Evaluate" not in p and p not in ("Parser", "Output", "AttachTarget")),
                    1e-5) for *_, m in synth])
        print(f"#   passes  {kind:9} k = {pk:.3f} (wall, sum of the lowering passes)")
    k_mem = benchlib.loglog_slope(x, [m[kinds[0]]["rss_mb"] for *_, m in synth])
    print(f"#   peak RSS ({kinds[0]}) k = {k_mem:.3f}")
    benchlib.figure(BENCH, f"compare[{kinds[0]}] peak RSS exponent in LxE", round(k_mem, 3), "",
                    1.1, "lower")


if __name__ == "__main__":
    main()
