# RUN: %pytest %s
"""moe-opt's own options: --list-hw lists every shipped preset, --help lists
every pass declared in ODS, and every bundled example verifies, alone and
with the default hardware attached."""
import glob
import os
import re
import subprocess

import pytest

from moesaic_paths import MOE_OPT, SRC, presets


def run(*args):
    return subprocess.run([MOE_OPT, *args], capture_output=True, text=True)


def test_list_hw_lists_every_preset():
    out = run("--list-hw")
    assert out.returncode == 0, out.stderr
    listed = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    assert listed == sorted(presets()), out.stdout


def declared_passes():
    names = []
    for td in glob.glob(os.path.join(SRC, "dialects", "Transforms", "*.td")):
        names += re.findall(r'Pass<\s*"([^"]+)"', open(td).read())
    return sorted(set(names))


def test_help_lists_every_declared_pass():
    passes = declared_passes()
    assert "moe-attach-target" in passes
    out = run("--help")
    assert out.returncode == 0, out.stderr
    for name in passes:
        assert re.search(r"^\s+--%s\s" % re.escape(name), out.stdout, re.M), name


EXAMPLES = sorted(glob.glob(os.path.join(SRC, "examples", "*.mlir")))


def test_there_are_examples():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_verifies(path):
    out = run(path, "-o", os.devnull)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_verifies_on_default_hardware(path):
    # The printed module parses and verifies again with the system attached.
    first = run(path, "--hw=edge-chiplet-4")
    assert first.returncode == 0, first.stderr
    again = subprocess.run([MOE_OPT, "-"], input=first.stdout,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "hw.system @edge_chiplet_4" in again.stdout
