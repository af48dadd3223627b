"""bench/run-all.sh's collector: runs the benchmarks, prints one table.

Google Benchmark executables (argv: the moesaic-bench-* targets) run with
--benchmark_format=json; each counter named ratio_vs_* becomes a figure
whose value is already the ratio to the target (``*_limit``: a ceiling,
<= 1 meets it; otherwise a floor, >= 1 meets it); one named ref_ratio_vs_*
is a reference figure: listed with its ratio, not counted. Script benchmarks
(every bench/*.py not starting with "_") run with /usr/bin/python3; each
stdout line ``BENCH {json}`` is a figure with value, unit, target, better
(and ``"reference": true`` for a reference figure).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def find_binary(build, target):
    for d in ("bin", "bench", "."):
        path = os.path.join(build, d, target)
        if os.access(path, os.X_OK):
            return path
    return os.path.join(build, "bin", target)


def bench_lines(bench, text):
    rows = [json.loads(l[6:]) for l in text.splitlines() if l.startswith("BENCH ")]
    # A table without targets (its output is above): listed, not counted.
    return rows or [dict(bench=bench, name="(ran: a table without targets, above)",
                         value=float("nan"), unit="", target=None, better="info")]


def run_gbench(path, quick):
    """A Google Benchmark binary; any other executable is run without
    arguments and its BENCH lines are its figures."""
    args = [path, "--benchmark_format=json"]
    if quick:
        args.append("--benchmark_min_time=0.05")
        if "runtime-decision" in path:  # only the target point
            args.append("--benchmark_filter=chiplets:16/experts:256/batch:16")
            args[-2] = "--benchmark_min_time=0.3"  # few iterations: cold-cache noise
    print(f"== {os.path.basename(path)}", file=sys.stderr, flush=True)
    proc = subprocess.run(args, capture_output=True, text=True)
    try:
        results = json.loads(proc.stdout)["benchmarks"]
    except (ValueError, KeyError, TypeError):
        results = None
    if results is None:  # not a Google Benchmark
        proc = subprocess.run([path], capture_output=True, text=True)
        sys.stderr.write(proc.stdout)
        if proc.returncode != 0:
            return [dict(bench=os.path.basename(path), name="(failed: exit %d)" % proc.returncode,
                         value=float("nan"), unit="", target=1, better="higher")]
        return bench_lines(os.path.basename(path), proc.stdout)
    rows = []
    for b in results:
        if b.get("error_occurred"):
            continue
        for key, value in b.items():
            reference = key.startswith("ref_ratio_vs_")
            if key.startswith("ratio_vs_") or reference:
                better = "lower" if key.endswith("_limit") else "higher"
                rows.append(dict(bench=os.path.basename(path), name=f"{b['name']} {key}",
                                 value=value, unit="x", target=1.0, better=better,
                                 reference=reference,
                                 cpu=b.get("cpu_time"), real=b.get("real_time"),
                                 time_unit=b.get("time_unit")))
    return rows


def run_script(path, quick):
    print(f"== {os.path.basename(path)}", file=sys.stderr, flush=True)
    args = ["/usr/bin/python3", path] + (["--quick"] if quick and "compile_scaling" in path else [])
    proc = subprocess.run(args, capture_output=True, text=True)
    sys.stderr.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return [dict(bench=os.path.basename(path), name="(failed: exit %d)" % proc.returncode,
                     value=float("nan"), unit="", target=1, better="higher")]
    return bench_lines(os.path.basename(path), proc.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("targets", nargs="*")
    a = ap.parse_args()
    start = time.time()
    rows = []
    scripts = sorted(glob.glob(os.path.join(HERE, "*.py")))
    driven = "".join(open(s).read() for s in scripts)
    for t in a.targets:
        # A binary a bench script drives (moesaic-bench-wafer: wafer.py) runs
        # there, with the arguments it needs.
        if f'"{t}"' in driven:
            continue
        rows += run_gbench(find_binary(a.build, t), a.quick)
    for script in scripts:
        if not os.path.basename(script).startswith("_"):
            rows += run_script(script, a.quick)
    load = os.getloadavg()[0]
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {load:.1f}, {time.time() - start:.0f} s")
    # Whole names (Google Benchmark's carry every argument; a cut one could
    # not tell its rows apart), up to a width that still fits a wide terminal.
    width = min(max([len("figure")] + [len(r["name"]) for r in rows]), 110)
    print(f"{'benchmark':24} {'figure':{width}} {'value':>12} {'target':>10} {'ratio':>7}  ok")
    failed = 0
    counted = [r for r in rows if r["better"] != "info" and not r.get("reference")]
    for r in rows:
        value, target = r["value"], r["target"]
        name = r["name"] if len(r["name"]) <= width else r["name"][:width - 3] + "..."
        if r["better"] == "info":
            print(f"{r['bench'][:24]:24} {name:{width}} {'':>12} {'':>10} {'':>7}  -")
            continue
        ratio = value / target if target else float("nan")
        ok = ratio <= 1 if r["better"] == "lower" else ratio >= 1  # NaN: not ok
        vt = f"{value:.4g} {r['unit']}".strip()
        tt = f"{'<=' if r['better'] == 'lower' else '>='}{target:g} {r['unit']}".strip()
        if r.get("reference"):
            mark = "ref"
        else:
            failed += not ok
            mark = "yes" if ok else "NO"
        print(f"{r['bench'][:24]:24} {name:{width}} {vt:>12} {tt:>10} {ratio:7.3f}  {mark}")
    references = sum(1 for r in rows if r.get("reference"))
    print(f"# {len(counted) - failed} of {len(counted)} figures meet their targets"
          + (f" ({references} reference figures, marked ref, not counted)" if references else ""))


if __name__ == "__main__":
    main()
