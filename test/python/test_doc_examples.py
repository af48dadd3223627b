# RUN: %pytest %s
"""The MLIR in the hand-written docs is real: the ```mlir blocks of
docs/dialects.md (model, systems, schedule) verify together."""
import os
import re
import subprocess

from moesaic_paths import MOE_OPT, SRC


def mlir_blocks(doc):
    text = open(os.path.join(SRC, "docs", doc)).read()
    return re.findall(r"```mlir\n(.*?)```", text, re.S)


def test_dialects_doc_examples_verify():
    blocks = mlir_blocks("dialects.md")
    assert len(blocks) >= 3
    out = subprocess.run([MOE_OPT, "-"], input="\n".join(blocks),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # Every block contributed its symbols.
    for sym in ("moe.model @tiny", "hw.system @ring4", "hw.system @gpu_ndp",
                "hw.schedule @plan"):
        assert sym in out.stdout, sym
