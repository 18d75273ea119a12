# The weight packer's fp16 conversion of --phi-cast-fp16 weights is IEEE
# round-to-nearest-even, bit for bit what NumPy's float32 -> float16 gives,
# including subnormals, overflow to inf, and values on rounding ties.
# REQUIRES: onnx
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python %s %t | FileCheck %s
# CHECK: fp16 weights: 4096 values bit-identical to numpy

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "Inputs"))
import safetensors_io  # noqa: E402

tmp = sys.argv[1]
rng = np.random.RandomState(3)
w = np.concatenate([
    rng.randn(1024) * 0.05, rng.randn(1024) * 1e-6,          # normal and subnormal halves
    rng.randn(1024) * 3e4, np.float32(1 + np.arange(1024) * 2.0 ** -11),  # overflow, ties
]).astype(np.float32).reshape(64, 64)
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])
z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 64])
g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"]), helper.make_node("Relu", ["y"], ["r"]) if False else
                       helper.make_node("Sigmoid", ["y"], ["z"])], "g", [x], [z], [numpy_helper.from_array(w, "w")])
path = os.path.join(tmp, "m.onnx")
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], ir_version=10), path)
out = os.path.join(tmp, "w.safetensors")
subprocess.run(["bash", "-o", "pipefail", "-c",
                "phi-translate --import-onnx %s | phi-opt --phi-cast-fp16 | phi-translate --export-weights -o %s"
                % (path, out)], check=True)
got = safetensors_io.load(out)["w"]
want = w.astype(np.float16)
assert got.dtype == np.float16 and np.array_equal(got.view(np.uint16), want.view(np.uint16))
print("fp16 weights: %d values bit-identical to numpy" % w.size)
