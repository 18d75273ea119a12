# phi-compile --target=onnx on every fixture, every quantization, both
# styles; onnxruntime runs each artifact on the fixture's reference prompts
# (short, and long across LongRoPE's switch; prefill and one decode step
# where the model has a KV cache) against onnxruntime running the source:
#  - fp32: logits and present KV within 1e-5 relative, identical greedy tokens;
#  - fp16 / int8 / int4: logits within the quality bounds of the quantization
#    report (README), and the ort and qdq styles of the same quantization
#    agree with each other;
#  - int4 with accuracy level 4 from the onnxruntime-genai fp32 graph matches
#    onnxruntime running the builder's own int4 graph of the same weights.
# The ort style uses the contrib ops; the qdq style passes onnx's checker and
# uses no contrib domain.
# REQUIRES: onnxruntime, onnx
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python %s %t %fixtures | FileCheck %s
# CHECK-DAG: longrope/torch: fp32 fp16 int8 int4 ok
# CHECK-DAG: longrope/genai-fp32: fp32 fp16 int8 int4 ok
# CHECK-DAG: longrope/genai-int4: fp32 fp16 int8 int4 ok
# CHECK-DAG: gqa/torch: fp32 fp16 int8 int4 ok
# CHECK-DAG: gqa/genai-fp32: fp32 fp16 int8 int4 ok
# CHECK-DAG: mini4k/torch: fp32 fp16 int8 int4 ok
# CHECK-DAG: mini4k/torchscript: fp32 fp16 int8 int4 ok
# CHECK-DAG: mini4k/genai-fp32: fp32 fp16 int8 int4 ok
# CHECK-DAG: longrope/genai-fp32 int4 accuracy 4 vs builder int4: ok
# CHECK-DAG: longrope/genai-fp32 ort ops: GroupQueryAttention=2 MatMulNBits=0 SimplifiedLayerNormalization=1 SkipSimplifiedLayerNormalization=4
# CHECK-DAG: longrope/genai-fp32 int4 ort ops: GroupQueryAttention=2 MatMulNBits=9 SimplifiedLayerNormalization=1 SkipSimplifiedLayerNormalization=4
# CHECK-DAG: longrope/genai-fp32 int4 qdq: checker ok, domains [''], DequantizeLinear=9

import os
import subprocess
import sys
from collections import Counter

import numpy as np
import onnx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "Inputs"))
import ortcompare as oc  # noqa: E402

tmp, fixtures = sys.argv[1], sys.argv[2]
FIXTURES = ["longrope/torch", "longrope/genai-fp32", "longrope/genai-int4", "gqa/torch",
            "gqa/genai-fp32", "mini4k/torch", "mini4k/torchscript", "mini4k/genai-fp32"]
# Max-abs logit error vs the fp32 source (the README's quantization table on
# the LongRoPE fixture: int8 0.10, int4 RTN 1.16; fp16 there rounds weights
# only, 0.0035, while here activations are fp16 too: 0.066 at most, on the
# int4 source).
BOUND = {"fp16": 0.1, "int8": 0.3, "int4": 2.0}
failures = []


def compile_(src, out, *flags):
    subprocess.run(["phi-compile", src, "-o", out, *flags], check=True,
                   stderr=subprocess.DEVNULL)
    return os.path.join(out, "model.onnx")


def outputs(path, ref, level=0):
    sess = oc.session(path, level)
    res = {}
    for name, ids, mask, dec in oc.cases(ref):
        for k, v in oc.run(sess, ids, mask, dec).items():
            res[name + "." + k] = v
    return res


def check(what, ok):
    if not ok:
        failures.append(what)
    return ok


for fx in FIXTURES:
    src = os.path.join(fixtures, fx, "model.onnx")
    ref = dict(np.load(os.path.join(fixtures, fx, "ref.npz")))
    want = outputs(src, ref)
    src_greedy = oc.greedy(oc.session(src), [5, 17, 33, 42, 9, 71, 12, 8], 12)
    tag = fx.replace("/", "_")
    done = []
    for q in ["fp32", "fp16", "int8", "int4"]:
        got = {}
        for style in ["ort", "qdq"]:
            path = compile_(src, os.path.join(tmp, "%s_%s_%s" % (tag, q, style)),
                            "--quant=" + q, "--onnx-style=" + style)
            # The builder's int4 graph computes with int8 activations
            # (accuracy level 4), which a qdq graph cannot say: let
            # onnxruntime fuse its DequantizeLinear at that level.
            level = 4 if fx.endswith("int4") else 0
            got[style] = outputs(path, ref, level)
            for k, w in want.items():
                g = got[style][k]
                if q == "fp32":
                    check("%s %s %s %s rel %.2e" % (fx, q, style, k, oc.max_rel(g, w)),
                          oc.max_rel(g, w) <= 1e-5)
                elif k.endswith("logits"):
                    err = float(np.max(np.abs(g.astype(np.float64) - w)))
                    check("%s %s %s %s max-abs %.3f" % (fx, q, style, k, err), err <= BOUND[q])
            if q == "fp32" and not (style == "qdq" and level):
                toks = oc.greedy(oc.session(path), [5, 17, 33, 42, 9, 71, 12, 8], 12)
                check("%s %s greedy %s != %s" % (fx, style, toks, src_greedy), toks == src_greedy)
            m = onnx.load(path)
            ops = Counter(n.op_type for n in m.graph.node)
            if style == "qdq":
                onnx.checker.check_model(m, full_check=True)
                domains = sorted({n.domain for n in m.graph.node})
                check("%s %s qdq domains %s" % (fx, q, domains), domains == [""])
                if fx == "longrope/genai-fp32" and q == "int4":
                    print("%s int4 qdq: checker ok, domains %s, DequantizeLinear=%d"
                          % (fx, domains, ops["DequantizeLinear"]))
            elif fx == "longrope/genai-fp32" and q in ("fp32", "int4"):
                print("%s %sort ops: %s" % (fx, "int4 " if q == "int4" else "", " ".join(
                    "%s=%d" % (o, ops[o]) for o in ["GroupQueryAttention", "MatMulNBits",
                                                    "SimplifiedLayerNormalization",
                                                    "SkipSimplifiedLayerNormalization"])))
        # Two independent ONNX lowerings of the same phi IR agree.
        for k in want:
            # fp16: both round every op to half precision, along different
            # decompositions (and, at accuracy level 4, quantize those
            # activations to int8 separately).
            tol = (5e-2 if level else 2e-2) if q == "fp16" else 1e-4
            check("%s %s ort vs qdq %s rel %.2e" % (fx, q, k, oc.max_rel(got["ort"][k], got["qdq"][k])),
                  oc.max_rel(got["ort"][k], got["qdq"][k]) <= tol)
        done.append(q)
    bad = [f for f in failures if f.startswith(fx + " ")]
    print("%s: %s %s" % (fx, " ".join(done), "ok" if not bad else "FAILED"))

# The builder's int4 graph is phi's int4 (RTN, group 32, accuracy level 4) of
# the same fp32 weights.
src = os.path.join(fixtures, "longrope/genai-fp32/model.onnx")
ref = dict(np.load(os.path.join(fixtures, "longrope/genai-int4/ref.npz")))
path = compile_(src, os.path.join(tmp, "acc4"), "--quant=int4", "--accuracy-level=4")
got, want = outputs(path, ref), outputs(os.path.join(fixtures, "longrope/genai-int4/model.onnx"), ref)
ok = all(check("acc4 %s rel %.2e" % (k, oc.max_rel(got[k], want[k])), oc.max_rel(got[k], want[k]) <= 1e-5)
         for k in want)
print("longrope/genai-fp32 int4 accuracy 4 vs builder int4: %s" % ("ok" if ok else "FAILED"))

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
