# RUN: %python -m pytest -q -p no:cacheprovider %s
# REQUIRES: python-module
"""The example notebooks (examples/*.ipynb) run headless from top to bottom
without an error, and emit nothing on stderr but the sweep's progress bar."""

import os

import pytest

import moesaic

from conftest import EXAMPLES, python_env

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {"compile-onnx-chiplet.ipynb", "compare-targets.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    if "onnx" in path.name and not moesaic.have_onnx():
        pytest.skip("this build has no ONNX frontend (MOESAIC_ENABLE_ONNX=OFF)")
    # The kernel imports moesaic from where this process does, and draws
    # with the inline backend regardless of the caller's MPLBACKEND.
    monkeypatch.setenv("PYTHONPATH", python_env()["PYTHONPATH"])
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    images = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            assert out.output_type != "error", out
            if out.output_type == "stream" and out.name == "stderr":
                lines = [l for l in out.text.replace("\r", "\n").splitlines()
                         if l.strip()]
                assert all(l.startswith("sweep [") for l in lines), out.text
            if "image/png" in out.get("data", {}):
                images += 1
    assert images >= 3, f"{path.name} drew {images} figures"
