"""Shared fixtures of the moesaic package tests (run by lit through each
test file's RUN line, or directly: PYTHONPATH=build/python_packages
/usr/bin/python3 -m pytest test/python/moesaic)."""

import os
import pathlib
import sys

import pytest

SRC_ROOT = pathlib.Path(__file__).resolve().parents[3]
EXAMPLES = SRC_ROOT / "examples"
TINY = EXAMPLES / "tiny-moe.mlir"

import moesaic  # noqa: E402


def make_fused_moe_onnx(experts=4, hidden=16, ffn=32, top_k=2, tokens=8,
                        router_width=None):
    """A one-layer model with onnxruntime's fused com.microsoft.MoE node
    (router MatMul + MoE), as the importer recognises it. A router_width
    other than `experts` makes the importer warn."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [tokens, hidden])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [tokens, hidden])
    inits = [
        numpy_helper.from_array(np.zeros((hidden, router_width or experts), np.float32), "wr"),
        numpy_helper.from_array(np.zeros((experts, 2 * ffn, hidden), np.float32), "fc1"),
        numpy_helper.from_array(np.zeros((experts, hidden, ffn), np.float32), "fc2"),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "wr"], ["logits"], name="router"),
        helper.make_node("MoE", ["x", "logits", "fc1", "", "fc2"], ["y"],
                         name="moe", domain="com.microsoft", k=top_k,
                         activation_type="swiglu",
                         normalize_routing_weights=1),
    ]
    graph = helper.make_graph(nodes, "fused_moe", [x], [y], inits)
    return helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])


requires_onnx = pytest.mark.skipif(
    not moesaic.have_onnx(),
    reason="this build has no ONNX frontend (MOESAIC_ENABLE_ONNX=OFF)")


@pytest.fixture(scope="session")
def onnx_bytes():
    pytest.importorskip("onnx")
    return make_fused_moe_onnx().SerializeToString()


@pytest.fixture
def onnx_path(tmp_path, onnx_bytes):
    path = tmp_path / "fused_moe.onnx"
    path.write_bytes(onnx_bytes)
    return path


def strategies_for(kind):
    """The registered strategies that serve systems of `kind`."""
    return [s["name"] for s in moesaic.list_strategies()
            if kind in s["targets"]]


@pytest.fixture(scope="session")
def chiplet_strategies():
    names = strategies_for("chiplet")
    assert len(names) >= 2, moesaic.list_strategies()
    return names


def python_env():
    """The environment for a child interpreter that imports moesaic."""
    env = dict(os.environ)
    pkg = os.path.dirname(os.path.dirname(moesaic.__file__))
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (pkg, env.get("PYTHONPATH", "")) if p)
    return env


PYTHON = sys.executable
