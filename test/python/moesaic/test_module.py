# RUN: %python -m pytest -q -p no:cacheprovider %s
# REQUIRES: python-module
"""Modules: moesaic.parse, Module.from_file, import_onnx, summary()."""

import os

import pytest

import moesaic
from conftest import TINY, requires_onnx


def test_from_file_and_summary():
    m = moesaic.Module.from_file(TINY)
    assert isinstance(m, moesaic.Module)
    text = str(m)
    assert text.startswith("module {")
    assert "moe.model @tiny_moe" in text
    s = m.summary()
    assert s["name"] == "tiny_moe"
    assert s["num_layers"] == 2
    assert [l["index"] for l in s["moe_layers"]] == [0, 1]
    layer = s["moe_layers"][0]
    assert (layer["num_experts"], layer["top_k"]) == (8, 2)
    assert (layer["hidden_size"], layer["expert_ffn_size"]) == (64, 128)
    assert s["params_bytes"] > 0
    assert s["warnings"] == []


def test_parse_roundtrip_and_bytecode():
    m = moesaic.parse(TINY.read_text(), "tiny")
    assert m.source_name == "tiny"
    again = moesaic.parse(str(m))
    assert str(again) == str(m)
    from_bc = moesaic.parse(m.bytecode())
    assert str(from_bc) == str(m)
    assert from_bc.summary() == m.summary()
    assert "loc(" in m.text(debug_info=True)


def test_parse_error_names_input_and_position():
    with pytest.raises(moesaic.Error) as info:
        moesaic.parse("module {\n  moe.model @m {\n    %0 = moe.bogus\n  }\n}",
                      "broken.mlir")
    message = str(info.value)
    assert message.startswith("broken.mlir:3:")
    assert "error:" in message
    d = info.value.diagnostics[0]
    assert d["severity"] == "error" and d["location"].startswith("broken.mlir:3")


def test_summary_without_model_is_an_error():
    m = moesaic.parse("module {}", "empty")
    with pytest.raises(moesaic.Error, match="'empty' holds no moe.model"):
        m.summary()


def test_missing_file():
    with pytest.raises(moesaic.Error, match="cannot read '.*nope.mlir'"):
        moesaic.Module.from_file("/nonexistent/nope.mlir")


@requires_onnx
def test_import_onnx_file_and_bytes(onnx_path, onnx_bytes):
    m = moesaic.import_onnx(onnx_path)
    s = m.summary()
    assert s["name"] == "fused_moe"
    assert s["num_layers"] == 1
    layer = s["moe_layers"][0]
    assert (layer["num_experts"], layer["top_k"], layer["hidden_size"],
            layer["expert_ffn_size"]) == (4, 2, 16, 32)
    assert "moe.experts" in str(m)
    from_bytes = moesaic.import_onnx(onnx_bytes, name="fused_moe.onnx")
    assert from_bytes.summary()["moe_layers"] == s["moe_layers"]
    assert moesaic.Module.from_file(onnx_path).summary() == s
    # The keyword SPEC.md names: import_onnx(path) -> Module.
    assert moesaic.import_onnx(path=onnx_path).summary() == s


@requires_onnx
def test_import_onnx_errors(tmp_path):
    with pytest.raises(moesaic.Error, match="not an ONNX model"):
        moesaic.import_onnx(b"\x01\x02 definitely not protobuf")
    with pytest.raises(moesaic.Error, match="missing.onnx"):
        moesaic.import_onnx(tmp_path / "missing.onnx")
    with pytest.raises(moesaic.Error, match="cannot read"):
        moesaic.import_onnx(tmp_path / "missing.bin")
    with pytest.raises(TypeError, match="path must be a file path .* not int"):
        moesaic.import_onnx(42)


@pytest.mark.skipif(moesaic.have_onnx(), reason="this build imports ONNX")
def test_import_onnx_without_the_frontend(tmp_path):
    with pytest.raises(moesaic.Error, match="MOESAIC_ENABLE_ONNX=OFF"):
        moesaic.import_onnx(b"anything")


def test_error_is_an_exception_with_diagnostics():
    assert issubclass(moesaic.Error, Exception)
    assert moesaic.Error("x").diagnostics == ()


def test_inputs_that_are_not_regular_files(tmp_path):
    # A directory, a device that never ends and a FIFO that would block are
    # refused before reading, with the error: prefix of every message.
    fifo = tmp_path / "model.bin"
    os.mkfifo(fifo)
    for path, why in [(str(tmp_path), "is a directory"),
                      ("/dev/zero", "not a regular file"),
                      (str(fifo), "not a regular file")]:
        with pytest.raises(moesaic.Error, match="^error: cannot read .*" + why):
            moesaic.import_onnx(path)
