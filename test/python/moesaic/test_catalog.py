# RUN: %python -m pytest -q -p no:cacheprovider %s
# REQUIRES: python-module
"""moesaic.list_hw(), hardware(), list_strategies()."""

import json

import pytest

import moesaic
from conftest import SRC_ROOT


def test_list_hw_matches_shipped_presets():
    names = [p["name"] for p in moesaic.list_hw()]
    shipped = sorted(p.stem for p in (SRC_ROOT / "hardware").glob("*.json"))
    assert names == shipped
    for p in moesaic.list_hw():
        assert p["kind"] in ("chiplet", "wafer", "gpu-ndp", "gpu-cluster")
        assert p["summary"]


def test_hardware_preset_facts():
    hw = moesaic.hardware("wafer-8x8")
    assert hw.name == hw["name"] == "wafer-8x8"
    assert hw.kind == "wafer"
    assert hw.num_devices == 64
    assert (hw.mesh_rows, hw.mesh_cols) == (8, 8)
    assert len(hw.devices) == 64
    # A mesh of 8 x 8 has 2 * 8 * 7 bidirectional links, two directions each.
    assert len(hw.links) == 4 * 8 * 7
    assert all(len(d["coord"]) == 2 for d in hw.devices)
    assert hw.device("d_0_0")["onchip_bytes"] > 0
    assert hw.onchip_bytes == sum(d["onchip_bytes"] for d in hw.devices)
    with pytest.raises(AttributeError):
        hw.no_such_field


def test_hardware_file_roundtrip(tmp_path):
    """The "file" form is a hardware file moesaic (and moe-opt) accept."""
    hw = moesaic.hardware("edge-chiplet-4")
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(hw.file))
    again = moesaic.hardware(path)
    for key in ("name", "kind", "num_devices", "onchip_bytes", "offchip_bytes",
                "num_links"):
        assert again[key] == hw[key]
    assert again.links == hw.links


def test_hardware_errors(tmp_path):
    with pytest.raises(moesaic.Error, match="unknown hardware 'no-such-hw'"):
        moesaic.hardware("no-such-hw")
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "kind": "chiplet", "devices": []}')
    with pytest.raises(moesaic.Error, match="bad.json") as info:
        moesaic.hardware(bad)
    assert info.value.diagnostics
    assert info.value.diagnostics[0]["severity"] == "error"


def test_list_strategies():
    strategies = moesaic.list_strategies()
    names = [s["name"] for s in strategies]
    assert "ep" in names and "tp" in names
    assert len(set(names)) == len(names)
    for s in strategies:
        assert s["summary"]
        assert s["targets"]
        assert set(s["targets"]) <= {"chiplet", "wafer", "gpu-ndp", "gpu-cluster"}
        names = [o["name"] for o in s["options"]]
        assert names == sorted(names)
        # What makes the strategy itself is not an option.
        assert "strategy" not in names and "targets" not in names
        for o in s["options"]:
            assert o["passes"] and all(p.startswith("moe-") for p in o["passes"])
    by_name = {s["name"]: s for s in strategies}
    fse = {o["name"]: o for o in by_name["fse-dp"]["options"]}
    assert fse["holders"]["default"] == "split"
    assert fse["holders"]["passes"] == ["moe-fsedp-schedule-trajectories"]
    assert fse["loads"]["default"] == "interleaved"
