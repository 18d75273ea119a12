# The CPU artifact (phi-compile --target=cpu, run by phi-run through the C
# API) against onnxruntime, on every fixture phi compiles for the CPU:
#  - fp32: logits of every prompt position and of a decode step within 1e-4
#    relative of onnxruntime running the source model, on the short prompt
#    and on the long one (beyond LongRoPE's original max positions), and 22
#    greedy tokens identical to onnxruntime's (crossing the switch); the
#    same for every fixture compiled op by op (--no-raise), which runs every
#    plain ONNX op of the torch exports on the generated kernels;
#  - int4 of the onnxruntime-genai int4 graph: at --accuracy-level=0 within
#    1e-4 of onnxruntime running that graph at accuracy level 0 (both
#    computing in fp32), identical greedy tokens; at the graph's own level 4
#    (int8 activations on both sides) within 5e-3 (measured 5e-7 short, 1.4e-3
#    long, where one activation rounds the other way);
#  - int8 / int4 of fp32 graphs: within 1e-4 of onnxruntime running phi's
#    ONNX artifact of the same quantization, and within the quality bounds
#    of the fp32 source (max-abs 0.3 / 3.0; measured at most 0.12 / 2.83, on
#    the gqa fixture's decode step: RTN int4 on tiny random weights);
#  - fp16 (f16 weights and activations, f32 arithmetic): within 5e-3 relative
#    of onnxruntime running phi's fp16 ONNX artifact (measured at most 1.7e-3,
#    ~3.5 fp16 ulp: the two round at slightly different points inside fused
#    ops), 22 identical greedy tokens, max-abs 0.1 of the fp32 source
#    (measured 0.006). VERBOSE=1 prints every measurement.
# REQUIRES: onnxruntime, onnx
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python %s %t %fixtures | FileCheck %s
# CHECK-DAG: longrope/torch: fp32 fp32-no-raise int8 int4 fp16 ok
# CHECK-DAG: longrope/genai-fp32: fp32 fp32-no-raise int8 int4 fp16 ok
# CHECK-DAG: longrope/genai-int4: int4 ok
# CHECK-DAG: gqa/torch: fp32 fp32-no-raise int8 int4 fp16 ok
# CHECK-DAG: gqa/genai-fp32: fp32 fp32-no-raise int8 int4 fp16 ok
# CHECK-DAG: mini4k/torch: fp32 fp32-no-raise int8 int4 fp16 ok
# CHECK-DAG: mini4k/genai-fp32: fp32 fp32-no-raise int8 int4 fp16 ok

import os
import subprocess
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Target", "ONNX", "Inputs"))
import ortcompare as oc  # noqa: E402

tmp, fixtures = sys.argv[1], sys.argv[2]
PROMPT = [5, 17, 33, 42, 9, 71, 12, 8]
failures = []


def check(what, ok):
    if os.environ.get("VERBOSE"):
        print("  ", what, ok)
    if not ok:
        failures.append(what)


def phi_run(out, tokens, n):
    """Greedy tokens and the logits of every computed position."""
    npy = os.path.join(out, "logits.npy")
    res = subprocess.run(["phi-run", out, "--tokens", ",".join(map(str, tokens)), "-n", str(n),
                          "--dump-logits", npy], check=True, capture_output=True, text=True)
    toks = [int(t) for t in res.stdout.split("\n")[0].split(":")[1].split(",")]
    return toks, np.load(npy)


def oracle_rows(sess, ids):
    """onnxruntime's logits for the prompt, then one greedy decode step."""
    mask = np.ones_like(ids)
    first = oc.run(sess, ids, mask)
    nxt = int(np.argmax(first["logits"][0, -1]))
    if any(i.name.startswith("past_key_values.") for i in sess.get_inputs()):
        dec = oc.run(sess, ids, mask, np.array([[nxt]], np.int64))["decode.logits"][0]
    else:
        full = np.concatenate([ids, [[nxt]]], axis=1)
        dec = oc.run(sess, full, np.ones_like(full))["logits"][0, -1:]
    return np.concatenate([first["logits"][0], dec], axis=0)


def compare(fx, what, out, sess, tol=1e-4, bound=None, ref_sess=None):
    ref = dict(np.load(os.path.join(fixtures, fx, "ref.npz")))
    for name, ids, _, _ in oc.cases(ref):
        _, got = phi_run(out, ids[0].tolist(), 2)
        want = oracle_rows(sess, ids)
        err = oc.max_rel(got, want)
        check("%s %s %s rel %.2e" % (fx, what, name, err), err <= tol)
        if bound is not None:
            base = oracle_rows(ref_sess, ids)
            mx = float(np.max(np.abs(got - base)))
            check("%s %s %s max-abs vs fp32 %.3f" % (fx, what, name, mx), mx <= bound)


def compile_cpu(src, out, *flags):
    subprocess.run(["phi-compile", src, "--target=cpu", "-o", out, *flags], check=True)
    return out


for fx in ["longrope/torch", "longrope/genai-fp32", "gqa/torch", "gqa/genai-fp32",
           "mini4k/torch", "mini4k/genai-fp32"]:
    src = os.path.join(fixtures, fx, "model.onnx")
    tag = fx.replace("/", "_")
    sess = oc.session(src)
    out = compile_cpu(src, os.path.join(tmp, tag + "_fp32"))
    compare(fx, "fp32", out, sess)
    toks, _ = phi_run(out, PROMPT, 22)
    want = oc.greedy(sess, PROMPT, 22)
    check("%s fp32 greedy %s != %s" % (fx, toks, want), toks == want)
    if True:
        # The exported graph op by op (--no-raise): every plain ONNX op of a
        # torch export on the generated kernels, eager attention included.
        out = compile_cpu(src, os.path.join(tmp, tag + "_fp32_noraise"), "--no-raise")
        compare(fx, "fp32-no-raise", out, sess)
        toks, _ = phi_run(out, PROMPT, 22)
        check("%s fp32-no-raise greedy %s != %s" % (fx, toks, want), toks == want)
    for q, bound, tol in [("int8", 0.3, 1e-4), ("int4", 3.0, 1e-4), ("fp16", 0.1, 5e-3)]:
        out = compile_cpu(src, os.path.join(tmp, "%s_%s" % (tag, q)), "--quant=" + q)
        onnx_out = os.path.join(tmp, "%s_%s_onnx" % (tag, q))
        subprocess.run(["phi-compile", src, "--quant=" + q, "-o", onnx_out], check=True,
                       stderr=subprocess.DEVNULL)
        osess = oc.session(os.path.join(onnx_out, "model.onnx"))
        compare(fx, q, out, osess, tol=tol, bound=bound, ref_sess=sess)
        if q == "fp16":
            toks, _ = phi_run(out, PROMPT, 22)
            want = oc.greedy(osess, PROMPT, 22)
            check("%s fp16 greedy %s != %s" % (fx, toks, want), toks == want)
    bad = [f for f in failures if f.startswith(fx + " ")]
    print("%s: fp32 fp32-no-raise int8 int4 fp16 %s" % (fx, "ok" if not bad else "FAILED"))

# The builder's int4 graph, with its MatMulNBits at accuracy level 0.
fx = "longrope/genai-int4"
src = os.path.join(fixtures, fx, "model.onnx")
m = onnx.load(src)
for n in m.graph.node:
    for a in n.attribute:
        if a.name == "accuracy_level":
            a.i = 0
acc0 = os.path.join(tmp, "genai-int4-acc0.onnx")
onnx.save(m, acc0, save_as_external_data=True, location="genai-int4-acc0.onnx.data")
sess = oc.session(acc0)
out = compile_cpu(src, os.path.join(tmp, "genai_int4"), "--accuracy-level=0")
compare(fx, "int4", out, sess)
toks, _ = phi_run(out, PROMPT, 22)
want = oc.greedy(sess, PROMPT, 22)
check("%s int4 greedy %s != %s" % (fx, toks, want), toks == want)
# By default the graph's accuracy level 4 carries over: int8 activations in
# phi's kernel and in onnxruntime's, each with its own rounding.
out = compile_cpu(src, os.path.join(tmp, "genai_int4_acc4"))
compare(fx, "int4-acc4", out, oc.session(src), tol=5e-3)
print("%s: int4 %s" % (fx, "ok" if not [f for f in failures if f.startswith(fx)] else "FAILED"))

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
