"""Compares two moe-opt JSON reports of the same run, one with
--runtime=direct and one with --runtime=dataflow: every result must carry
the decision path it was asked for (fse_dp.decisions) and, that field
removed, the reports must be identical. Prints one line per result and
exits 1 on any difference (printing the first differing paths)."""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def strip(report, want):
    for result in report["results"]:
        got = result["fse_dp"].pop("decisions")
        if got != want:
            sys.exit(f"{result['strategy']}: decisions '{got}', expected '{want}'")
    return report


def diff(a, b, path="$"):
    if type(a) is not type(b):
        yield path
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            yield from diff(a.get(k), b.get(k), f"{path}.{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            yield path
        for i, (x, y) in enumerate(zip(a, b)):
            yield from diff(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"{path}: {a!r} != {b!r}"


direct = strip(load(sys.argv[1]), "direct")
dataflow = strip(load(sys.argv[2]), "dataflow")
differences = list(diff(direct, dataflow))
for d in differences[:10]:
    print("differs:", d)
for result in dataflow["results"]:
    print(f"{result['strategy']}: identical={not differences} "
          f"active_experts={result['fse_dp']['mean_active_experts']} "
          f"makespan_us={result['fse_dp']['scheduler_makespan_us']:.6f}")
sys.exit(1 if differences else 0)
