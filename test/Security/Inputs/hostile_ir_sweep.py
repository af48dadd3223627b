#!/usr/bin/python3
"""Feeds every registered Moesaic pass and strategy pipeline (as listed by
`moe-opt --help`) a set of valid but hostile modules: no model, no system,
a model without layers, dense-only, two models, two systems, a system of
the wrong kind, an already scheduled module. Each run must either succeed
with IR that parses again, or fail with exit 1 and an `error:` diagnostic:
never a crash, an assertion or a sanitizer report.

usage: hostile_ir_sweep.py <source root> <scratch dir>  (moe-opt from PATH)
"""
import os
import re
import shutil
import subprocess
import sys

root, scratch = sys.argv[1:3]
os.makedirs(scratch, exist_ok=True)
moe_opt = shutil.which("moe-opt")
CRASH = re.compile(r"Assertion|Sanitizer|Stack dump|PLEASE submit|Segmentation|LLVM ERROR")


def run(args, stdin=None):
    return subprocess.run([moe_opt] + args, input=stdin, capture_output=True,
                          text=True, timeout=300)


help_text = run(["--help"]).stdout
passes = sorted(set(re.findall(r"^\s+--(moe-[a-z0-9-]+)\s", help_text, re.M)))
if not passes:
    sys.exit("no moe-* passes in moe-opt --help")

no_layers = """
moe.model @empty {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
"""
dense_only = """
moe.model @dense {
  %x = moe.input : tensor<?x64xbf16>
  %a = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %f = moe.dense %a layer 0 ffn 128 act swiglu : tensor<?x64xbf16>
  moe.output %f : tensor<?x64xbf16>
}
"""
tiny = open(os.path.join(root, "examples", "tiny-moe.mlir")).read()
# Check the hand-written models against the dialect first.
for name, text in (("no_layers", no_layers), ("dense_only", dense_only)):
    p = run(["-"], text)
    if p.returncode != 0:
        sys.exit("hostile input %s does not verify:\n%s" % (name, p.stderr))


def attach(text, hw):
    p = run(["-", "--moe-attach-target=hw=" + hw], text)
    if p.returncode != 0:
        sys.exit("cannot attach %s:\n%s" % (hw, p.stderr))
    return p.stdout


system_only = attach("", "edge-chiplet-4")
inputs = {
    "empty module": "",
    "model, no system": tiny,
    "system, no model": system_only,
    "model without layers": attach(no_layers, "edge-chiplet-4"),
    "dense-only model": attach(dense_only, "edge-chiplet-4"),
    "two models": attach(tiny + tiny.replace("@tiny_moe", "@tiny_moe2"), "edge-chiplet-4"),
    "two systems": attach(tiny, "edge-chiplet-4") + attach("", "wafer-8x8"),
    "gpu-ndp system": attach(tiny, "gpu-ndp-edge"),
    "wafer system": attach(tiny, "wafer-8x8"),
}
ep = run(["-", "--moe-strategy-ep"], attach(tiny, "edge-chiplet-4"))
if ep.returncode == 0:
    inputs["already scheduled"] = ep.stdout

checked, failures = 0, []
for pass_name in passes:
    for label, text in inputs.items():
        p = run(["-", "--" + pass_name], text)
        checked += 1
        where = "--%s on %s" % (pass_name, label)
        if p.returncode < 0 or CRASH.search(p.stderr):
            failures.append("crash: %s\n%s" % (where, p.stderr[-3000:]))
        elif p.returncode == 0:
            again = run(["-"], p.stdout)
            if again.returncode != 0:
                failures.append("output does not parse: %s\n%s" % (where, again.stderr[-2000:]))
        elif p.returncode != 1 or "error:" not in p.stderr:
            failures.append("no clean error (exit %d): %s\n%s" % (p.returncode, where, p.stderr[-2000:]))

print("hostile IR sweep: %d passes x %d inputs = %d runs" % (len(passes), len(inputs), checked))
for f in failures:
    print("FAIL " + f)
sys.exit(1 if failures else 0)
