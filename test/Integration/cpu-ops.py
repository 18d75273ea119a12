# Every kernel the CPU target generates, op by op, against onnxruntime: a
# graph of plain ONNX ops (built here with onnx.helper, random weights) from
# input_ids to logits, compiled with --no-raise so nothing is fused, run by
# phi-run; its logits for every position within 1e-4 relative of
# onnxruntime's on the same graph. The ops cover the generated kernels'
# variants: elementwise float/int/bool ops with broadcasting (stride-0
# views), casts, where, reductions (sum/max/mean, keepdims or not, several
# axes), softmax along the last and a middle axis, transposes, an activation
# matmul with a broadcast batch, trilu, concat, split, slices with steps
# (negative too), expand, constant_of_shape, range, gather on a middle axis,
# (on x86-64 both the generic kernels and their x86-64-v3 builds),
# gather_nd with batch dims. Then bad inputs: shapes that clash only at run
# time and an out-of-range gather index in the graph are clear runtime
# errors, not crashes.
# REQUIRES: onnxruntime, onnx
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python %s %t | FileCheck %s
# CHECK: ops H=8: ok
# CHECK: ops H=8 generic: ok
# CHECK: ops H=8192: ok
# CHECK: bad broadcast: ok
# CHECK: bad index: ok

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

tmp = sys.argv[1]
rng = np.random.default_rng(7)
V, S = 24, 5
H = 8
nodes, inits = [], []
count = [0]


def const(arr, name=None):
    name = name or "c%d" % len(inits)
    inits.append(numpy_helper.from_array(np.asarray(arr), name))
    return name


def op(kind, ins, **attrs):
    count[0] += 1
    out = "%s_%d" % (kind.lower(), count[0])
    nodes.append(helper.make_node(kind, ins, [out], **attrs))
    return out


def build(gather_index):
    del nodes[:], inits[:]
    count[0] = 0
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    x = op("Gather", [const(f32(V, H), "table"), "input_ids"], axis=0)  # [1, S, H]
    # Elementwise float ops, broadcasting a [H] row and a scalar.
    a = op("Tanh", [op("Mul", [x, const(f32(H))])])
    b = op("Log", [op("Add", [op("Exp", [op("Mul", [a, const(np.float32(0.5))])]),
                              const(np.float32(1.0))])])
    c = op("Abs", [op("Sub", [b, op("Sqrt", [op("Abs", [x])])])])
    d = op("Reciprocal", [op("Add", [op("Pow", [c, const(np.float32(2.0))]), const(np.float32(1.0))])])
    e = op("Max", [op("Sigmoid", [d]), op("Min", [a, const(np.float32(0.3))])])
    e = op("Add", [e, op("Mul", [op("Cos", [op("Mul", [x, const(np.float32(10.0))])]),
                                 op("Sin", [x])])])
    e = op("Div", [op("Neg", [e]), op("Add", [op("Exp", [x]), const(np.float32(2.0))])])
    # Integer and bool ops: cast, int arithmetic, comparisons, logic, where.
    i = op("Cast", [op("Mul", [e, const(np.float32(8.0))])], to=TensorProto.INT64)
    i = op("Div", [op("Add", [i, const(np.int64(100))]), const(np.int64(3))])
    m = op("And", [op("Greater", [i, const(np.int64(33))]),
                   op("Not", [op("Equal", [i, const(np.int64(35))])])])
    m = op("Or", [m, op("Less", [x, const(np.float32(-1.0))])])
    e = op("Where", [m, e, op("Mul", [op("Cast", [i], to=TensorProto.FLOAT), const(np.float32(0.01))])])
    # Reductions (several axes, keepdims or not) and softmax on two axes.
    # (Scaled so that H = 8192 stays as well conditioned as H = 8.)
    e = op("Add", [e, op("Mul", [op("ReduceSum", [e, const(np.array([2], np.int64))], keepdims=1),
                                 const(np.float32(1.0 / H))])])
    e = op("Sub", [e, op("ReduceMean", [e], axes=[1, 2], keepdims=1)])
    rmax = op("ReduceMax", [e], axes=[1], keepdims=0)  # [1, H]
    e = op("Add", [op("Softmax", [e], axis=1), op("Softmax", [op("Mul", [e, op("Tanh", [rmax])])], axis=-1)])
    # Transpose, activation matmul (broadcast batch), trilu.
    t = op("Transpose", [e], perm=[0, 2, 1])  # [1, H, S]
    sq = op("MatMul", [e, t])  # [1, S, S]
    sq = op("Trilu", [sq, const(np.int64(0))], upper=0)
    e = op("MatMul", [sq, op("Mul", [e, const(f32(3, 1, 1))])])  # [3, S, H]
    e = op("ReduceMean", [e], axes=[0], keepdims=1)
    # Concat, split, slices with steps, expand, constant_of_shape, range.
    cat = op("Concat", [e, op("Neg", [e]), x], axis=2)  # [1, S, 3H]
    nodes.append(helper.make_node("Split", [cat, const(np.array([H, 2 * H], np.int64))],
                                  ["sp0", "sp1"], axis=2))
    rev = op("Slice", ["sp1", const(np.array([-1], np.int64)), const(np.array([-(2 ** 62)], np.int64)),
                       const(np.array([2], np.int64)), const(np.array([-2], np.int64))])  # [1, S, H]
    e = op("Add", ["sp0", rev])
    shape = op("Shape", [e])
    row = op("ReduceMean", [e], axes=[1], keepdims=1)  # [1, 1, H]
    e = op("Add", [e, op("Expand", [row, shape])])
    e = op("Add", [e, op("ConstantOfShape", [shape], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.25]))])
    seq = op("Gather", [shape, const(np.int64(1))], axis=0)
    pos = op("Cast", [op("Range", [const(np.int64(0)), seq, const(np.int64(1))])], to=TensorProto.FLOAT)
    e = op("Add", [e, op("Mul", [op("Unsqueeze", [pos, const(np.array([1], np.int64))]),
                                 const(np.float32(0.1))])])
    # Gather on the hidden axis (a permutation) and gather_nd with a batch dim.
    perm = np.array(rng.permutation(H), np.int64)
    perm[0] = gather_index
    e = op("Gather", [e, const(perm)], axis=2)
    nd = op("GatherND", [e, const(np.array([[[1], [0], [S - 1], [2], [3]]], np.int64))], batch_dims=1)
    e = op("Add", [e, nd])
    nodes.append(helper.make_node("MatMul", [e, const(f32(H, V), "lm_head")], ["logits"]))
    g = helper.make_graph(
        nodes, "ops",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "S"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "S", V])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return onnx.shape_inference.infer_shapes(m, strict_mode=True)  # as exporters write them


def compile_run(model, name, tokens, generic=False):
    """phi-compile --no-raise, then phi-run (2 threads) with --dump-logits;
    `generic`: the object's generic x86-64 kernels, not its x86-64-v3 ones."""
    path = os.path.join(tmp, name + ".onnx")
    onnx.save(model, path)
    out = os.path.join(tmp, name)
    subprocess.run(["phi-compile", path, "--no-raise", "--target=cpu", "-o", out], check=True)
    npy = os.path.join(out, "logits.npy")
    env = dict(os.environ, PHI_GENERIC_KERNELS="1") if generic else None
    res = subprocess.run(["phi-run", out, "--tokens", ",".join(map(str, tokens)), "-n", "1",
                          "--threads", "2", "--dump-logits", npy], capture_output=True, text=True,
                         env=env)
    return path, res, npy


tokens = [3, 1, 4, 1, 5]
# H = 8192: tensors big enough that the runtime splits the generated kernels'
# work across threads (views narrowed along an outer dim).
for H, generic in ((8, False), (8, True), (8192, False)):
    model = build(gather_index=2)
    onnx.checker.check_model(model)
    path, res, npy = compile_run(model, "ops%d" % H, tokens, generic)
    if res.returncode != 0:
        print(res.stderr)
        sys.exit(1)
    got = np.load(npy)[:S]
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    want = sess.run(["logits"], {"input_ids": np.array([tokens], np.int64)})[0][0]
    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    print("ops H=%d%s: %s (rel %.1e)" % (H, " generic" if generic else "",
                                         "ok" if err <= 1e-4 else "FAILED", err))

H = 8
# Shapes that only clash at run time (2 positions against 5): an error
# naming the shapes, no output.
del nodes[:], inits[:]
x = op("Gather", [const(rng.standard_normal((V, H)).astype(np.float32), "table"), "input_ids"], axis=0)
first = op("Slice", [x, const(np.array([0], np.int64)), const(np.array([2], np.int64)),
                     const(np.array([1], np.int64))])
nodes.append(helper.make_node("MatMul", [op("Add", [first, x]), const(np.ones((H, V), np.float32))],
                              ["logits"]))
g = helper.make_graph(nodes, "clash", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "S"])],
                      [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "S", V])], inits)
clash = onnx.shape_inference.infer_shapes(
    helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))
_, res, npy = compile_run(clash, "clash", tokens)
ok = (res.returncode != 0 and "shapes [1x2x8] and [1x5x8] do not broadcast" in res.stderr
      and not os.path.exists(npy))
print("bad broadcast: %s" % ("ok" if ok else "FAILED: " + res.stderr))

# Index H is out of range for the hidden axis: an error naming the op.
_, res, _ = compile_run(build(gather_index=H), "bad", tokens)
ok = res.returncode != 0 and "gather: index 8 out of range [0, 8)" in res.stderr
print("bad index: %s" % ("ok" if ok else "FAILED: " + res.stderr))
