"""Writes malformed ONNX models (binary) that the importer must refuse.

Usage: bad_models.py OUTDIR. The protobuf is assembled with onnx.helper and
serialised without onnx.checker, so the defects reach the importer.
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, nodes, inputs, outputs, inits=(), opsets=(("", 17),), ir=8):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    m.ir_version = ir
    with open(os.path.join(out, name), "wb") as f:
        f.write(m.SerializeToString())
    return m


def tensor(name, dims):
    """A weight with its shape only (make_tensor insists on the data)."""
    t = TensorProto()
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    return t


x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["T", 16])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["T", 16])
relu = [helper.make_node("Relu", ["x"], ["y"])]

# A valid model, then truncated in the middle of a field.
good = save("good.onnx", relu, [x], [y])
data = open(os.path.join(out, "good.onnx"), "rb").read()
open(os.path.join(out, "truncated.onnx"), "wb").write(data[: len(data) // 2 + 3])
open(os.path.join(out, "empty.onnx"), "wb").write(b"")
open(os.path.join(out, "text.onnx"), "wb").write(b"this is not a protobuf \xff\xfe\n")

# Dimensions.
save("negative-dim.onnx", relu, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [-4, 16])], [y])
save("absurd-dim.onnx", relu, [x], [y],
     inits=[tensor("w", [1 << 45, 16])])
big = helper.make_tensor_value_info("w", TensorProto.FLOAT, [1 << 40, 1 << 40, 1 << 40])
save("overflow.onnx", [helper.make_node("Add", ["x", "w"], ["y"])], [x, big], [y])

# External data: never read, but a path leaving the model's directory is refused.
for name, loc in (("external-abs.onnx", "/etc/passwd"), ("external-dotdot.onnx", "../weights.bin")):
    t = tensor("w", [16, 16])
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value=loc)
    save(name, [helper.make_node("MatMul", ["x", "w"], ["y"])], [x], [y], inits=[t])

# Graph structure.
save("no-default-opset.onnx", relu, [x], [y], opsets=(("com.microsoft", 1),))
save("redefined.onnx", [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Sigmoid", ["x"], ["y"])], [x], [y])

# External data inside the model's directory, absent on disk: never opened,
# so the import succeeds from the shapes alone.
t = tensor("w", [16, 4096])
t.data_location = TensorProto.EXTERNAL
t.external_data.add(key="location", value="weights/w.bin")
t.external_data.add(key="offset", value="0")
save("external-ok.onnx", [helper.make_node("MatMul", ["x", "w"], ["y"])], [x],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["T", 4096])], inits=[t])
