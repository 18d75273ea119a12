"""Writes one malformed ONNX model per bad-input case into the given folder."""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, fixtures = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)


def model(nodes, inputs, outputs, inits=(), opset=18, domains=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(g, opset_imports=ops, ir_version=10)


def save(name, m):
    onnx.save(m, os.path.join(out, name + ".onnx"))


x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
xi = helper.make_tensor_value_info("x", TensorProto.INT64, [2, 3])
yi = helper.make_tensor_value_info("y", TensorProto.INT64, [2, 3])

save("unknown-op", model([helper.make_node("Frobnicate", ["x"], ["y"], name="frob0")], [x], [y]))
save("unknown-domain", model([helper.make_node("Relu", ["x"], ["y"], name="relu0", domain="com.example")],
                             [x], [y], domains=["com.example"]))
save("old-opset", model([helper.make_node("Sqrt", ["x"], ["y"], name="sqrt0")], [x], [y], opset=11))
save("bad-dtype", model([helper.make_node("Sqrt", ["x"], ["y"], name="sqrt_int")], [xi], [yi]))
w = numpy_helper.from_array(np.ones((4, 5), np.float32), "w")
save("shape-mismatch", model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm0")],
                             [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])], [w]))
then_g = helper.make_graph([helper.make_node("Sqrt", ["x"], ["t"])], "then", [],
                           [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2, 3])])
else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [],
                           [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2, 3])])
c = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
save("if-shape", model([helper.make_node("If", ["c"], ["y"], name="if0",
                                         then_branch=then_g, else_branch=else_g)], [c, x], [y]))
save("undefined-input", model([helper.make_node("Sqrt", ["nope"], ["y"], name="sqrt1")], [x], [y]))

# External data: missing file, and an offset beyond the end of the file.
src = os.path.join(fixtures, "longrope", "genai-fp32")
os.makedirs(os.path.join(out, "missing-data"), exist_ok=True)
shutil.copy(os.path.join(src, "model.onnx"), os.path.join(out, "missing-data", "model.onnx"))
m = onnx.load(os.path.join(src, "model.onnx"), load_external_data=False)
for t in m.graph.initializer:
    if t.name == "lm_head.MatMul.weight":
        for kv in t.external_data:
            if kv.key == "offset":
                kv.value = str(10**9)
os.makedirs(os.path.join(out, "beyond-end"), exist_ok=True)
onnx.save(m, os.path.join(out, "beyond-end", "model.onnx"))
shutil.copy(os.path.join(src, "model.onnx.data"), os.path.join(out, "beyond-end", "model.onnx.data"))

# Truncated copy and a file that is not ONNX at all.
data = open(os.path.join(src, "model.onnx"), "rb").read()
open(os.path.join(out, "truncated.onnx"), "wb").write(data[: len(data) // 2])
open(os.path.join(out, "not-onnx.onnx"), "wb").write(b"this is not an onnx model\n")
