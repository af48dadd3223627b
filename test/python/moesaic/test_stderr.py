# RUN: %python -m pytest -q -p no:cacheprovider %s
# REQUIRES: python-module
"""Nothing reaches the process's C-level stderr (fd 2): a child
interpreter runs successes and failures of every entry point with its fd 2
on a pipe, which must stay empty."""

import subprocess
import textwrap

import moesaic

from conftest import PYTHON, SRC_ROOT, TINY, python_env

FRONTEND = SRC_ROOT / "test" / "Frontend"

SCRIPT = textwrap.dedent(f"""
    import moesaic, warnings
    warnings.simplefilter("ignore")
    failures = 0
    def expect_error(fn, *a, **k):
        global failures
        try:
            fn(*a, **k)
        except moesaic.Error:
            failures += 1
    m = moesaic.Module.from_file({str(TINY)!r})
    m.summary()
    r = moesaic.compile(m, hw="edge-chiplet-4", strategy="ep",
                        workload="batch=4,steps=2")
    r.timeline()
    moesaic.compare({str(TINY)!r}, hw="edge-chiplet-8-mesh",
                    strategies=["ep", "tp"], workload="steps=2")
    moesaic.compile({str(TINY)!r}, hw="wafer-8x8", strategy="ep",
                    workload="steps=2", timeline=False)
    moesaic.hardware("wafer-8x8"); moesaic.list_hw(); moesaic.list_strategies()
    expect_error(moesaic.parse, "module {{ foo.bar }}")
    expect_error(moesaic.parse, "module {{ %0 = moe.input : i32 }}")
    expect_error(moesaic.parse, "\\x00\\x01garbage")
    expect_error(moesaic.import_onnx, b"garbage")
    expect_error(moesaic.import_onnx, "/nonexistent.onnx")
    expect_error(moesaic.hardware, "nope")
    expect_error(moesaic.compile, m, hw="edge-chiplet-4", strategy="nope")
    expect_error(moesaic.compile, m, hw="gpu-ndp-edge", strategy="ep")
    expect_error(moesaic.compile, m, hw="edge-chiplet-4", strategy="ep",
                 workload="trace=file:/nonexistent.json")
    expect_error(moesaic.compile, moesaic.parse("module {{}}"),
                 hw="edge-chiplet-4", strategy="ep")
    expect_error(moesaic.parse("module {{}}").summary)
    print("failures", failures)
    # ONNX: text and binary inputs, one with an importer warning, and the
    # frontend's malformed models.
    import glob, os, subprocess, sys, tempfile
    if not moesaic.have_onnx():
        print("onnx 0 0"); raise SystemExit
    moesaic.import_onnx({str(FRONTEND / "unknown-op.onnxtext")!r})
    moesaic.compile({str(FRONTEND / "fused-moe-swiglu.onnxtext")!r},
                    hw="edge-chiplet-4", strategy="ep", workload="steps=1")
    bad = tempfile.mkdtemp()
    subprocess.run([sys.executable, {str(FRONTEND / "Inputs" / "bad_models.py")!r},
                    bad], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    refused = 0
    paths = sorted(glob.glob(os.path.join(bad, "*.onnx")))
    for path in paths:
        try:
            moesaic.import_onnx(path)
        except moesaic.Error:
            refused += 1
    print("onnx", len(paths), refused)
""")


def test_fd2_stays_empty():
    proc = subprocess.run([PYTHON, "-c", SCRIPT], env=python_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode().splitlines()
    assert lines[0] == "failures 11"
    _, total, refused = lines[1].split()
    # The malformed models are refused with an Error (any other exception
    # would end the child); the valid ones (good.onnx...) import.
    if moesaic.have_onnx():
        assert 5 <= int(refused) < int(total)
    assert proc.stderr == b""
