# RUN: %pytest %s
"""Every hardware preset says where its numbers come from, and
docs/hardware.md documents every preset with the numbers it ships."""
import json
import os
import re

import pytest

from moesaic_paths import SRC, presets

PRESETS = presets()
DEVICE_FIELDS = {
    # field in a device entry -> the "sources" key that may justify it
    "peak_tflops": "peak_tflops",
    "onchip_bytes": "onchip_bytes",
    "offchip_bytes": "offchip",
    "offchip_gbps": "offchip",
}


def load(name):
    with open(PRESETS[name]) as f:
        return json.load(f)


def test_there_are_presets():
    assert "edge-chiplet-4" in PRESETS  # the default preset
    assert len(PRESETS) >= 7


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_name_matches_file(name):
    assert load(name)["name"] == name


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_number_has_a_source(name):
    """Each device group's figures are covered by a source for the field or
    for the device group; each link/topology by "links" or its type."""
    hw = load(name)
    sources = hw.get("sources", {})
    assert sources, "%s has no 'sources'" % name
    for key, text in sources.items():
        assert isinstance(text, str) and len(text.strip()) >= 20, (name, key)
    missing = []
    for dev in hw["devices"]:
        for field, key in DEVICE_FIELDS.items():
            if field in dev and key not in sources and dev["name"] not in sources:
                missing.append("%s of device '%s'" % (field, dev["name"]))
    topos = hw.get("topology", [])
    if isinstance(topos, dict):
        topos = [topos]
    for edge in hw.get("links", []) + topos:
        if "links" not in sources and edge.get("type") not in sources:
            missing.append("bandwidth/latency of a %s %s" % (
                edge.get("type", "?"), edge.get("kind", "link")))
    assert not missing, "%s: no source for %s" % (name, ", ".join(missing))


def doc_section(name):
    text = open(os.path.join(SRC, "docs", "hardware.md")).read()
    m = re.search(r"^### `%s`\n(.*?)(?=^### |^## |\Z)" % re.escape(name),
                  text, re.M | re.S)
    return m.group(1) if m else None


def fmt(x):
    return ("%g" % x)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_hardware_doc_describes_preset(name):
    section = doc_section(name)
    assert section, "docs/hardware.md has no '### `%s`' section" % name
    hw = load(name)
    # The section quotes the preset's figures: every peak, memory bandwidth
    # and link bandwidth in the file appears in it.
    numbers = set()
    for dev in hw["devices"]:
        numbers.update(dev.get("peak_tflops", {}).values())
        if "offchip_gbps" in dev:
            numbers.add(dev["offchip_gbps"])
    topos = hw.get("topology", [])
    if isinstance(topos, dict):
        topos = [topos]
    for edge in hw.get("links", []) + topos:
        numbers.add(edge["gbps"])
        numbers.add(edge.get("latency_ns", 0))
    for n in sorted(numbers):
        assert re.search(r"(?<![\d.])%s(?![\d])" % re.escape(fmt(n)), section), (
            "docs/hardware.md section of %s does not mention %s" % (name, fmt(n)))
