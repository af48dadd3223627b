"""Checks a Chrome/Perfetto trace written by --timeline: valid JSON, complete
("X") slices with non-negative times, every (pid, tid) named, and no two
slices of one (pid, tid) overlapping.

usage: check_timeline.py trace.json
"""
import collections
import json
import sys

trace = json.load(open(sys.argv[1]))
events = trace["traceEvents"]
slices = collections.defaultdict(list)
named = set()
for e in events:
    if e["ph"] == "M":
        named.add((e["pid"], e.get("tid")))
        continue
    if e["ph"] != "X":
        sys.exit(f"check_timeline: unexpected phase {e['ph']!r}")
    if e["ts"] < 0 or e["dur"] < 0:
        sys.exit(f"check_timeline: negative time in {e}")
    slices[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"], e["name"]))
if not slices:
    sys.exit("check_timeline: no slices")
for key, spans in slices.items():
    if key not in named:
        sys.exit(f"check_timeline: thread {key} has no name")
    spans.sort()
    for (s0, e0, n0), (s1, e1, n1) in zip(spans, spans[1:]):
        # 1e-6 us of slack for the floating point of ts + dur.
        if s1 < e0 - 1e-6:
            sys.exit(f"check_timeline: {n0!r} [{s0}, {e0}] overlaps {n1!r} "
                     f"[{s1}, {e1}] on {key}")
print(f"timeline ok: {sum(map(len, slices.values()))} slices on "
      f"{len(slices)} threads")
