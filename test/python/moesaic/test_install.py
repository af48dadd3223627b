# RUN: %python -m pytest -q -p no:cacheprovider %s
# REQUIRES: python-module
"""`cmake --install <build> --component python` gives a package that
/usr/bin/python3 imports from outside the build tree (the extension finds
libMLIR/libLLVM through its RPATH)."""

import os
import pathlib
import shutil
import subprocess

import pytest

import moesaic
from conftest import PYTHON

BUILD = pathlib.Path(moesaic.__file__).resolve().parents[2]


def clean_env(**extra):
    """A minimal environment, keeping what a sanitized build's interpreter
    needs (test/python/lit.local.cfg preloads the ASan runtime)."""
    env = {"PATH": "/usr/bin:/bin", **extra}
    for key in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                "ASAN_SYMBOLIZER_PATH"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def test_install_component(tmp_path):
    if not (BUILD / "CMakeCache.txt").exists():
        pytest.skip(f"moesaic was not imported from a build tree ({BUILD})")
    cmake = shutil.which("cmake")
    if not cmake:
        pytest.skip("cmake is not on PATH")
    subprocess.run([cmake, "--install", str(BUILD), "--component", "python",
                    "--prefix", str(tmp_path / "prefix")], check=True,
                   stdout=subprocess.DEVNULL)
    installed = list((tmp_path / "prefix").glob(
        "lib/python3*/dist-packages/moesaic/__init__.py"))
    assert len(installed) == 1
    site = installed[0].parents[1]
    names = {p.name for p in installed[0].parent.iterdir()}
    assert {"__init__.py", "plots.py", "sweep.py"} <= names
    assert any(n.startswith("_core.") and n.endswith(".so") for n in names)
    script = ("import moesaic, sys; "
              "assert moesaic.__file__.startswith(sys.argv[1]); "
              "r = moesaic.compile(sys.argv[2], hw='edge-chiplet-4', "
              "strategy='ep', workload='steps=1', timeline=False); "
              "print(r.result()['latency_us'] > 0)")
    tiny = pathlib.Path(__file__).resolve().parents[3] / "examples" / "tiny-moe.mlir"
    out = subprocess.run([PYTHON, "-c", script, str(site), str(tiny)],
                         env=clean_env(PYTHONPATH=str(site)),
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
