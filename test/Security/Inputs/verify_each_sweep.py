#!/usr/bin/python3
"""Runs every moe-opt pass invocation of the lit tests once more with
--verify-each (the IR verifier after every pass) and checks the outcome is
unchanged: exit 0 for RUN lines without `not`, exit 1 with an `error:` for
those with it, and never a crash, assertion or sanitizer report.

usage: verify_each_sweep.py <source root> <scratch dir>  (moe-opt from PATH)
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

root, scratch = sys.argv[1:3]
moe_opt = shutil.which("moe-opt")
os.makedirs(scratch, exist_ok=True)
CRASH = re.compile(r"Assertion|Sanitizer|Stack dump|PLEASE submit|Segmentation")
PASS_FLAG = re.compile(r"(^|\s)-{1,2}(moe-[a-z0-9-]+|pass-pipeline|strategy|compare)\b")


def run_lines(path):
    lines, pending = [], ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.search(r"RUN:\s?(.*)$", line)
            if not m:
                continue
            text = m.group(1).rstrip()
            if text.endswith("\\"):
                pending += text[:-1] + " "
                continue
            lines.append(pending + text)
            pending = ""
    return lines


checked, failures = 0, []
tests = []
for dirpath, dirnames, filenames in os.walk(os.path.join(root, "test")):
    dirnames[:] = [d for d in dirnames if d not in ("Inputs", "fuzz", "unittests", "python")]
    tests += [os.path.join(dirpath, f) for f in filenames if f.endswith(".mlir")]
for path in sorted(tests):
    for n, line in enumerate(run_lines(path)):
        first = line.split("|")[0].strip()
        words = shlex.split(first)
        expect_fail = bool(words) and words[0] == "not"
        if expect_fail:
            words = words[1:]
        if not words or words[0] != "moe-opt" or not PASS_FLAG.search(first):
            continue
        tmp = os.path.join(scratch, "t%d" % n)
        subst = {"%s": path, "%S": os.path.dirname(path), "%t": tmp,
                 "%moesaic_src": root}
        args, stdin, skip = [], None, None
        for w in words[1:]:
            for k in sorted(subst, key=len, reverse=True):
                w = w.replace(k, subst[k])
            if skip == "<":
                stdin, skip = w, None
                continue
            if skip == ">":
                skip = None
                continue
            if w in ("<", ">", "2>"):
                skip = "<" if w == "<" else ">"
                continue
            if w.startswith(("2>", ">")):
                continue
            if w.startswith("<"):
                stdin = w[1:]
                continue
            args.append(w)
        cmd = [moe_opt] + args + ["--verify-each", "-o", os.devnull]
        with open(stdin or os.devnull) as inp:
            p = subprocess.run(cmd, stdin=inp, capture_output=True, text=True,
                               timeout=300)
        checked += 1
        where = "%s (RUN line %d): %s" % (os.path.relpath(path, root), n + 1, " ".join(cmd[1:]))
        if p.returncode < 0 or CRASH.search(p.stderr):
            failures.append("crash: " + where + "\n" + p.stderr[-2000:])
        elif expect_fail and (p.returncode != 1 or "error" not in p.stderr):
            failures.append("expected one clean failure: " + where)
        elif not expect_fail and p.returncode != 0:
            failures.append("fails with --verify-each: " + where + "\n" + p.stderr[-2000:])

print("verify-each sweep: %d pass invocations checked" % checked)
for f in failures:
    print("FAIL " + f)
if checked == 0:
    print("FAIL no pass invocation found")
sys.exit(1 if failures or checked == 0 else 0)
