#!/usr/bin/python3
"""Writes a model of N chained Relu nodes (a deep graph) to argv[2]."""
import sys
import onnx
from onnx import TensorProto, helper

n, path = int(sys.argv[1]), sys.argv[2]
nodes = [helper.make_node("Relu", ["x" if i == 0 else "h%d" % (i - 1)],
                          ["y" if i == n - 1 else "h%d" % i]) for i in range(n)]
g = helper.make_graph(nodes, "deep",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
