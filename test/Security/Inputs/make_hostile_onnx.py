#!/usr/bin/python3
"""Writes the hostile ONNX inputs of test/Security (run from this folder with
/usr/bin/python3; the outputs are committed, this script documents them)."""
import onnx
from onnx import TensorProto, helper


def model(nodes, inits=(), inputs=None, outputs=None):
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])]
    outputs = outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])]
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def bare_tensor(name, dims):
    """A TensorProto with a type and dims and no data."""
    t = TensorProto()
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    return t


def save(m, name):
    with open(name, "wb") as f:
        f.write(m.SerializeToString())


# A valid two-node model, cut in the middle of its protobuf encoding.
ok = model([helper.make_node("Relu", ["x"], ["h"]), helper.make_node("Relu", ["h"], ["y"])])
data = ok.SerializeToString()
with open("truncated.onnx", "wb") as f:
    f.write(data[: len(data) // 2])

# A cycle: a = Add(x, b), b = Relu(a), y = Relu(b).
save(model([helper.make_node("Add", ["x", "b"], ["a"], name="add"),
            helper.make_node("Relu", ["a"], ["b"], name="relu"),
            helper.make_node("Relu", ["b"], ["y"], name="out")]), "cyclic.onnx")

# External data whose location climbs out of the model's directory.
w = bare_tensor("w", [64, 64])
w.data_location = TensorProto.EXTERNAL
for k, v in (("location", "../../../../etc/passwd"), ("offset", "0"), ("length", "16384")):
    e = w.external_data.add()
    e.key, e.value = k, v
save(model([helper.make_node("MatMul", ["x", "w"], ["y"])], [w]), "external-traversal.onnx")

# An absolute external-data path.
w.external_data[0].value = "/etc/passwd"
save(model([helper.make_node("MatMul", ["x", "w"], ["y"])], [w]), "external-absolute.onnx")

# A tensor that claims 10 GiB of raw data in a file of a few hundred bytes:
# the raw_data field's length prefix says 10737418240 bytes.
small = helper.make_tensor("w", TensorProto.FLOAT, [1], vals=[1.0])
m = model([helper.make_node("Add", ["x", "w"], ["y"])], [small])
blob = m.SerializeToString()
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
# Append a GraphProto field (tag 7 = graph, wire type 2) whose length claims
# 10 GiB: a parser that trusted it would allocate 10 GiB.
with open("claims-10gib.onnx", "wb") as f:
    f.write(blob + bytes([(7 << 3) | 2]) + varint(10 * 2**30) + b"\x00" * 64)

# An initializer whose dims claim 10 GiB (2684354560 floats) while it holds
# 4 bytes of raw data.
big = bare_tensor("w", [2684354560])
big.raw_data = b"\x00\x00\x80\x3f"
save(model([helper.make_node("Add", ["x", "w"], ["y"])], [big],
           outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]),
     "dims-claim-10gib.onnx")

# Window attributes ONNX 1.12's own shape inference divides by: a zero
# stride made it raise SIGFPE (Conv, MaxPool; AveragePool was a fuzzer
# find); a zero block size is refused the same way.
img = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])]
out = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
save(model([helper.make_node("Conv", ["x", "w"], ["y"], strides=[0, 1])],
           [helper.make_tensor("w", TensorProto.FLOAT, [2, 4, 3, 3], [0.0] * 72)],
           img, out), "zero-stride-conv.onnx")
save(model([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2],
                             strides=[1, 0])], (), img, out),
     "zero-stride-maxpool.onnx")
save(model([helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=0)], (),
           img, out), "zero-blocksize.onnx")
