# RUN: %python -m pytest -q -p no:cacheprovider %s
# REQUIRES: python-module
"""moesaic.sweep(): in-process, in worker processes and on Dask."""

import io
import os

import pytest

import moesaic
from conftest import EXAMPLES, TINY, python_env

MODELS = [TINY, EXAMPLES / "mixtral-8x7b.mlir"]
HW = ["edge-chiplet-4", "wafer-8x8", "gpu-ndp-edge"]
STRATEGIES = ["ep", "tp"]
WORKLOADS = ["batch=4,steps=2", {"batch": 16, "steps": 2, "trace": "zipf:1.2"}]


def expected_row(model, hw, strategy, workload):
    try:
        r = moesaic.compile(model, hw=hw, strategy=strategy,
                            workload=workload, timeline=False)
    except moesaic.Error as e:
        return {"error": str(e)}
    return {"latency_us": r.result()["latency_us"], "error": ""}


def check(rows, models, hws, strategies, workloads):
    assert len(rows) == len(models) * len(hws) * len(strategies) * len(workloads)
    i = 0
    for m in models:
        for hw in hws:
            for s in strategies:
                for w in workloads:
                    row = rows[i]
                    i += 1
                    assert row["model"] == os.path.splitext(os.path.basename(m))[0]
                    assert (row["hw"], row["strategy"]) == (hw, s)
                    assert row["workload"] == moesaic.workload_spec(w)
                    want = expected_row(m, hw, s, w)
                    assert row["error"] == want["error"]
                    if not want["error"]:
                        assert row["latency_us"] == want["latency_us"]
                        assert row["lower_bound_us"] <= row["latency_us"]
                        assert row["hw_kind"] == moesaic.hardware(hw).kind


def test_sweep_in_process_with_progress():
    out = io.StringIO()
    rows = moesaic.sweep(MODELS[:1], HW, STRATEGIES, WORKLOADS, processes=0,
                         progress=out, as_frame=False)
    check(rows, MODELS[:1], HW, STRATEGIES, WORKLOADS)
    # A strategy that cannot serve a target gives an error row, not a raise.
    targets = {s["name"]: s["targets"] for s in moesaic.list_strategies()}
    refused = sum(moesaic.hardware(h).kind not in targets[s]
                  for h in HW for s in STRATEGIES) * len(WORKLOADS)
    assert sum("does not serve" in r["error"] for r in rows) == refused
    text = out.getvalue()
    assert f"{len(rows)}/{len(rows)}" in text and text.endswith("\n")
    assert (f"{refused} failed" in text) == (refused > 0)


def test_sweep_in_worker_processes():
    hws = ["edge-chiplet-4", "edge-chiplet-8-mesh"]
    rows = moesaic.sweep(MODELS, hws, STRATEGIES, WORKLOADS[:1],
                         processes=2, progress=False, as_frame=False)
    check(rows, MODELS, hws, STRATEGIES, WORKLOADS[:1])


def test_sweep_takes_modules_and_scalars():
    m = moesaic.Module.from_file(TINY)
    rows = moesaic.sweep(m, "edge-chiplet-4", "ep", None, processes=0,
                         progress=False, as_frame=False)
    assert len(rows) == 1
    assert rows[0]["model"] == "tiny_moe" and rows[0]["error"] == ""
    assert rows[0]["latency_us"] == moesaic.compile(
        TINY, hw="edge-chiplet-4", strategy="ep").result()["latency_us"]


def test_sweep_frame_when_pandas_is_there():
    try:
        import pandas  # noqa: F401
    except ImportError:
        rows = moesaic.sweep(TINY, "edge-chiplet-4", "ep", "steps=1",
                             processes=0, progress=False)
        assert isinstance(rows, list)
        with pytest.raises(ImportError):
            moesaic.sweep(TINY, "edge-chiplet-4", "ep", "steps=1",
                          processes=0, progress=False, as_frame=True)
        return
    frame = moesaic.sweep(TINY, "edge-chiplet-4", ["ep", "tp"], "steps=1",
                          processes=0, progress=False)
    assert list(frame["strategy"]) == ["ep", "tp"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # tornado under Dask
def test_sweep_on_dask(monkeypatch):
    distributed = pytest.importorskip(
        "distributed", reason="python3-distributed is not installed "
        "(scripts/install-deps.sh with MOESAIC_FULL_DEPS=1)")
    # Worker processes import moesaic from the same place as this one.
    monkeypatch.setenv("PYTHONPATH", python_env()["PYTHONPATH"])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        rows = moesaic.sweep(MODELS[:1], HW, STRATEGIES, WORKLOADS[:1],
                             client=client, progress=False, as_frame=False)
    check(rows, MODELS[:1], HW, STRATEGIES, WORKLOADS[:1])
