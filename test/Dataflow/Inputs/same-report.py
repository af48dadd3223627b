"""Compares two moe-opt JSON reports of the same run, one with
--runtime=direct and one with --runtime=dataflow: every result must carry
the decision path it was asked for (the "decisions" field of its strategy
section: fse_dp, ndp or wafer) and, that field removed, the reports must be
identical. Prints one line per result (with numbers showing the run decided
something) and exits 1 on any difference (printing the first differing
paths)."""
import json
import sys

SECTIONS = ("fse_dp", "ndp", "wafer")


def load(path):
    with open(path) as f:
        return json.load(f)


def section(result):
    found = [k for k in SECTIONS
             if isinstance(result.get(k), dict) and "decisions" in result[k]]
    if len(found) != 1:
        sys.exit(f"{result['strategy']}: expected one section with "
                 f"'decisions', found {found}")
    return found[0]


def strip(report, want):
    for result in report["results"]:
        got = result[section(result)].pop("decisions")
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


def summary(result):
    if "fse_dp" in result:
        s = result["fse_dp"]
        return (f"active_experts={s['mean_active_experts']} "
                f"makespan_us={s['scheduler_makespan_us']:.6f}")
    if "wafer" in result:
        s = result["wafer"]
        return (f"migration_moves={s['migration_moves']} "
                f"chunks_hidden={s['migration_chunks_hidden']} "
                f"chunks_flushed={s['migration_chunks_flushed']}")
    s = result["ndp"]
    return (f"experts_on_gpu={s['experts_on_gpu']} "
            f"experts_on_ndp={s['experts_on_ndp']} "
            f"prefetched_bytes={s['prefetched_bytes']}")


direct = strip(load(sys.argv[1]), "direct")
dataflow = strip(load(sys.argv[2]), "dataflow")
differences = list(diff(direct, dataflow))
for d in differences[:10]:
    print("differs:", d)
for result in dataflow["results"]:
    print(f"{result['strategy']}: identical={not differences} "
          f"{summary(result)}")
sys.exit(1 if differences else 0)
