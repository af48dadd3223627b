# RUN: %python -m pytest -q -p no:cacheprovider %s
# REQUIRES: python-module
"""Result.plot_*() and moesaic.plots under the Agg backend."""

import io

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import moesaic  # noqa: E402
from moesaic import plots  # noqa: E402
from conftest import TINY  # noqa: E402

WORKLOAD = "batch=16,trace=zipf:1.2,seed=0,steps=2"


@pytest.fixture(scope="module")
def mesh_compare():
    return moesaic.compare(TINY, hw="edge-chiplet-16-mesh",
                           strategies=["ep", "tp"], workload=WORKLOAD)


@pytest.fixture(scope="module")
def ring_result():
    return moesaic.compile(TINY, hw="edge-chiplet-4", strategy="ep",
                           workload=WORKLOAD)


def renders(fig):
    assert isinstance(fig, Figure)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue().startswith(b"\x89PNG")
    return fig


def test_timeline_rows_cover_the_trace(ring_result):
    rows = plots.timeline_rows(ring_result.timeline())
    slices = [e for e in ring_result.timeline()["traceEvents"] if e["ph"] == "X"]
    assert sum(len(spans) for _, _, spans in rows) == len(slices)
    kinds = [kind for _, kind, _ in rows]
    assert kinds == sorted(kinds, key=lambda k: k != "device")
    assert any(label.startswith("c0 ") for label, _, _ in rows)


def test_plot_timeline(ring_result, mesh_compare):
    fig = renders(ring_result.plot_timeline())
    ax = fig.axes[0]
    rows = plots.timeline_rows(ring_result.timeline())
    assert len(ax.get_yticklabels()) == len(rows)
    assert "ep" in ax.get_title()
    # A comparison's timeline shows the strategy asked for.
    fig = renders(mesh_compare.plot_timeline(strategy="tp", max_rows=20))
    assert "tp" in fig.axes[0].get_title()
    assert len(fig.axes[0].get_yticklabels()) <= max(
        20, sum(1 for r in plots.timeline_rows(mesh_compare.timeline(), 1)
                if r[1] == "device"))
    with pytest.raises(KeyError):
        mesh_compare.plot_timeline(strategy="nope")


def test_plot_link_load_mesh(mesh_compare):
    fig = renders(mesh_compare.plot_link_load(strategy="ep"))
    lines = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
    assert len(lines) == 1
    # One segment per undirected link of the 4 x 4 mesh: 2 * 4 * 3.
    assert len(lines[0].get_segments()) == 2 * 4 * 3
    assert len(fig.axes) == 2  # the heat map and its colour bar
    renders(mesh_compare.plot_link_load(strategy="tp", metric="bytes"))
    with pytest.raises(ValueError):
        mesh_compare.plot_link_load(metric="colour")


def test_plot_link_load_matrix(ring_result):
    fig = renders(ring_result.plot_link_load())
    image = fig.axes[0].images[0].get_array()
    busy = {(l["src"], l["dst"]): l["busy_us"]
            for l in ring_result.result()["links"]}
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    for (src, dst), value in busy.items():
        assert image[names.index(src), names.index(dst)] == pytest.approx(value)


def test_plot_comparison(mesh_compare):
    fig = renders(mesh_compare.plot_comparison())
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    lat = mesh_compare.latency_us
    assert lat["ep"] in heights and lat["tp"] in heights
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ep", "tp"]


def test_plot_memory(mesh_compare):
    fig = renders(mesh_compare.plot_memory())
    heights = [p.get_height() for p in fig.axes[0].patches]
    for r in mesh_compare.report["results"]:
        if "devices" in r:
            for d in r["devices"]:
                assert d["peak_onchip_bytes"] in heights
        else:
            assert r["peak_onchip_bytes"] in heights


def test_plot_memory_shows_vram_on_gpu_systems():
    # A GPU's bar is what its strategy keeps in VRAM, its capacity marker
    # the VRAM's size (not the GPU's SRAM).
    result = moesaic.compile(TINY, hw="gpu-ndp-edge", strategy="ndp-tp",
                             workload="batch=2,steps=2")
    gpu = next(d for d in result.report["results"][0]["devices"]
               if d["kind"] == "gpu")
    assert gpu["memory"] == "vram"
    assert gpu["onchip_capacity_bytes"] == result.report["hardware"]["offchip_bytes"]
    fig = renders(result.plot_memory())
    ax = fig.axes[0]
    assert gpu["peak_onchip_bytes"] in [p.get_height() for p in ax.patches]
    marks = [y for c in ax.collections for _, y in c.get_offsets()]
    assert gpu["onchip_capacity_bytes"] in marks
    assert "VRAM" in ax.get_title()


def test_plots_draw_into_given_axes(ring_result):
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    assert ring_result.plot_comparison(ax=ax1) is fig
    assert ring_result.plot_memory(ax=ax2) is fig
    renders(fig)


def test_sweep_chart():
    rows = [{"hw": "a", "strategy": "ep", "latency_us": 2.0, "error": ""},
            {"hw": "a", "strategy": "tp", "latency_us": 3.0, "error": ""},
            {"hw": "b", "strategy": "ep", "latency_us": 5.0, "error": ""},
            {"hw": "b", "strategy": "tp", "latency_us": None, "error": "refused"}]
    fig = renders(plots.sweep_chart(rows))
    heights = sorted(p.get_height() for p in fig.axes[0].patches
                     if p.get_height() == p.get_height())
    assert heights == [2.0, 3.0, 5.0]
