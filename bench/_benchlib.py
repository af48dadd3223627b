"""Shared helpers of the script benchmarks in bench/ (not a benchmark itself).

A script benchmark prints, besides its readable tables, one JSON object per
figure on a line starting with ``BENCH `` (see bench/README.md):
    BENCH {"bench": ..., "name": ..., "value": v, "unit": ..., "target": t,
           "better": "lower"|"higher"[, "reference": true]}
bench/run-all.sh collects these lines and prints value / target.
"""
import json
import math
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))


def figure(bench, name, value, unit, target, better, reference=False):
    """Prints one machine-readable figure for bench/run-all.sh. A reference
    figure (context for another: an agreement ratio, a run of another
    strategy) is listed with its ratio but not counted as met or missed."""
    fig = {"bench": bench, "name": name, "value": value, "unit": unit,
           "target": target, "better": better}
    if reference:
        fig["reference"] = True
    print("BENCH " + json.dumps(fig), flush=True)


def measure(cmd, stdout_path=os.devnull, stderr_path=os.devnull, check=True):
    """Runs cmd with output redirected; returns wall_s, cpu_s, rss_mb, exit.

    os.wait4 gives the child's own user+sys time and peak RSS (what
    /usr/bin/time -v prints), independent of other processes' load."""
    start = time.perf_counter()
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if check and proc.returncode != 0:
        msg = open(stderr_path).read()[-2000:] if stderr_path != os.devnull else ""
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{msg}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024.0,
            "exit": proc.returncode}


def loglog_slope(xs, ys):
    """Least-squares slope of log(y) on log(x) (the growth exponent)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(pts) < 2:
        return float("nan")
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    sxy = sum((p[0] - mx) * (p[1] - my) for p in pts)
    return sxy / sxx if sxx > 0 else float("nan")


def moe_opt_path(arg=None):
    path = arg or os.path.join(ROOT, "build", "bin", "moe-opt")
    if not os.access(path, os.X_OK):
        sys.exit(f"error: {path}: moe-opt is not built (scripts/build.sh moe-opt)")
    return path


def list_strategies(moe_opt):
    """[(name, [kinds])] from moe-opt --list-strategies (every registered one)."""
    out = subprocess.run([moe_opt, "--list-strategies"], capture_output=True, text=True,
                         check=True).stdout
    result = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("["):
            result.append((parts[0], parts[1].strip("[]").split(",")))
    return result


def list_presets(moe_opt):
    """[(name, kind)] from moe-opt --list-hw."""
    out = subprocess.run([moe_opt, "--list-hw"], capture_output=True, text=True,
                         check=True).stdout
    return [(l.split()[0], l.split()[1]) for l in out.splitlines() if len(l.split()) >= 2]


def one_preset_per_kind(moe_opt, prefer=()):
    """{kind: preset}: the preferred preset of each kind, else its first one."""
    chosen = {}
    presets = list_presets(moe_opt)
    for name, kind in presets:
        if name in prefer:
            chosen[kind] = name
    for name, kind in presets:
        chosen.setdefault(kind, name)
    return chosen


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def write_model(path, name, shape):
    """Writes a shape-only ONNX decoder (scripts/model_zoo.py's fused form)."""
    if os.path.exists(path):
        return path
    import onnx
    from model_zoo import fused_model
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    onnx.save(fused_model(name, shape), tmp)
    os.replace(tmp, path)
    return path


def zoo_model(outdir, name):
    """A real model of scripts/model_zoo.py (its exact shapes)."""
    from gen_example_models import MODELS
    return write_model(os.path.join(outdir, name + ".onnx"), name, MODELS[name])


def synthetic_shape(layers, experts):
    """A decoder of `layers` MoE layers with `experts` experts (top-2 softmax,
    fused com.microsoft MoE); small hidden sizes, since only shapes matter."""
    return dict(layers=layers, hidden=1024, experts=experts, top_k=2, ffn=512,
                heads=8, kv=8, hd=128, scoring="softmax renormalize")
