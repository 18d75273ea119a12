# phi's INT4 / INT8 packed weights are bit-identical to onnxruntime's
# MatMulNBits quantizer (the C++ routine MatMulNBitsQuantizer calls) for the
# same weights and options: symmetric and asymmetric, group sizes 16 to 256,
# K not a multiple of the group, on random weights and the fixture's weights.
# REQUIRES: onnxruntime, onnx
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python %s %t %fixtures | FileCheck %s
# CHECK: int4 symmetric: 15 weight sets bit-identical
# CHECK: int4 asymmetric: 15 weight sets bit-identical
# CHECK: int8 symmetric: 15 weight sets bit-identical
# CHECK: int8 asymmetric: 15 weight sets bit-identical
# CHECK: fixture longrope/torch int4 g32: 9 weights bit-identical

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.capi._pybind_state import quantize_matmul_4bits, quantize_matmul_8bits

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "Inputs"))
import safetensors_io  # noqa: E402

tmp, fixtures = sys.argv[1], sys.argv[2]


def ort_quantize(w, bits, block, symmetric):
    """What MatMulNBitsQuantizer stores for B = w [K, N]."""
    k, n = w.shape
    blocks = (k + block - 1) // block
    padded = np.pad(w, ((0, blocks * block - k), (0, 0)))
    pack = 8 // bits
    q = np.zeros((n, blocks, block // pack), np.uint8)
    s = np.zeros((n, blocks), np.float32)
    z = np.zeros((n, (blocks + pack - 1) // pack), np.uint8)
    (quantize_matmul_4bits if bits == 4 else quantize_matmul_8bits)(q, padded, s, z, block, n, k, symmetric)
    return q, s, z


def phi_quantize(model_path, pass_opts):
    out = model_path + ".safetensors"
    subprocess.run(["bash", "-o", "pipefail", "-c",
                    "phi-translate --import-onnx %s | phi-opt '--pass-pipeline=builtin.module(%s)' | "
                    "phi-translate --export-weights -o %s" % (model_path, pass_opts, out)], check=True)
    return safetensors_io.load(out)


# Random weights: one model per (K, N), each weight its own MatMul.
rng = np.random.RandomState(7)
shapes = [(64, 48), (257, 20), (130, 33)]
models = []
for k, n in shapes:
    w = (rng.randn(k, n) * rng.choice([0.02, 0.5, 3.0])).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, k])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w_%dx%d" % (k, n)], ["y"])], "g", [x], [y],
                          [numpy_helper.from_array(w, "w_%dx%d" % (k, n))])
    path = os.path.join(tmp, "mm_%dx%d.onnx" % (k, n))
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], ir_version=10), path)
    models.append((path, "w_%dx%d" % (k, n), w))

for bits in (4, 8):
    for symmetric in (True, False):
        count = 0
        for group in (16, 32, 64, 128, 256):
            for path, name, w in models:
                got = phi_quantize(path, "phi-quantize-int%d{group-size=%d symmetric=%d lm-head=int%d}"
                                   % (bits, group, symmetric, bits))
                q, s, z = ort_quantize(w, bits, group, symmetric)
                tag = "%s int%d g%d sym=%d" % (name, bits, group, symmetric)
                assert np.array_equal(got[name + "_Q%d" % bits], q), tag + ": codes differ"
                assert np.array_equal(got[name + "_scales"].view(np.uint32), s.view(np.uint32)), tag + ": scales differ"
                if not symmetric:
                    assert np.array_equal(got[name + "_zero_points"], z), tag + ": zero points differ"
                else:
                    assert name + "_zero_points" not in got
                count += 1
        print("int%d %s: %d weight sets bit-identical" % (bits, "symmetric" if symmetric else "asymmetric", count))

# The fixture's own weights (every projection and the lm_head).
src = os.path.join(fixtures, "longrope", "torch", "model.onnx")
got = phi_quantize(src, "phi-quantize-int4{group-size=32}")
m = onnx.load(src)
inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
count = 0
for key in got:
    if key.endswith("_Q4"):
        name = key[:-3]
        q, s, _ = ort_quantize(inits[name], 4, 32, True)
        assert np.array_equal(got[key], q) and np.array_equal(got[name + "_scales"], s), name
        count += 1
print("fixture longrope/torch int4 g32: %d weights bit-identical" % count)

# The onnxruntime-genai builder's own int4 model: phi quantizing the builder's
# fp32 graph reproduces every MatMulNBits initializer of its int4 graph.
src = os.path.join(fixtures, "longrope", "genai-fp32", "model.onnx")
got = phi_quantize(src, "phi-quantize-int4{group-size=32}")
ref = onnx.load(os.path.join(fixtures, "longrope", "genai-int4", "model.onnx"))
count = 0
for t in ref.graph.initializer:
    if t.name.endswith("_Q4") or t.name.endswith("_scales"):
        want = numpy_helper.to_array(t, base_dir=os.path.dirname(src).replace("fp32", "int4"))
        assert np.array_equal(got[t.name].reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8)), t.name
        count += 1
print("genai int4 builder: %d initializers byte-identical" % count)
# CHECK: genai int4 builder: 22 initializers byte-identical
