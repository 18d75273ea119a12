#!/usr/bin/env python3
"""Quantized GEMV at Phi-3.5-mini's weight shapes: phi's runtime kernel vs
onnxruntime's MatMulNBits, same machine, same run, same thread count.

  .venv/bin/python bench/gemv.py [--threads 2] [--bin build/bin]

One token (M = 1), as in decode. Each side cycles over enough distinct weight
sets (>= 512 MiB) that weights stream from memory, not cache. Prints the
median microseconds per GEMV (the best of --rounds alternating phi /
onnxruntime rounds, so a noisy neighbour slows neither side alone), the
weight bytes read per second, and phi / onnxruntime time ratios (< 1: phi is
faster), for int4 and int8 (block 32, symmetric) at accuracy level 0 (f32
activations) and 4 (int8 activations)."""
import argparse
import os
import subprocess
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

SHAPES = [("qkv_proj", 3072, 9216), ("o_proj", 3072, 3072), ("gate_up_proj", 3072, 16384),
          ("down_proj", 8192, 3072), ("lm_head", 3072, 32064)]


def weight_bytes(k, n, bits, block):
    blocks = (k + block - 1) // block
    return n * blocks * (block * bits // 8) + n * blocks * 4


def ort_session(k, n, bits, block, acc, threads, copies, tmp):
    blocks = (k + block - 1) // block
    rng = np.random.default_rng(0)
    nodes, inits, outs = [], [], []
    for c in range(copies):
        b = rng.integers(0, 256, (n, blocks, block * bits // 8), dtype=np.uint8)
        s = np.full((n * blocks,), 0.01, np.float32)
        inits += [onnx.numpy_helper.from_array(b, "B%d" % c),
                  onnx.numpy_helper.from_array(s, "S%d" % c)]
        nodes.append(helper.make_node("MatMulNBits", ["X", "B%d" % c, "S%d" % c], ["Y%d" % c],
                                      domain="com.microsoft", K=k, N=n, bits=bits,
                                      block_size=block, accuracy_level=acc))
        outs.append(helper.make_tensor_value_info("Y%d" % c, TensorProto.FLOAT, [1, n]))
    g = helper.make_graph(nodes, "gemv", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, k])],
                          outs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21),
                                            helper.make_opsetid("com.microsoft", 1)], ir_version=10)
    path = os.path.join(tmp, "gemv.onnx")
    onnx.save(m, path, save_as_external_data=True, location="gemv.onnx.data")
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def ort_time(sess, k, copies):
    x = {"X": np.random.default_rng(1).uniform(-1, 1, (1, k)).astype(np.float32)}
    sess.run(None, x)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        sess.run(None, x)
        runs.append((time.perf_counter() - t0) / copies * 1e6)
    return float(np.median(runs))


def phi_time(binary, k, n, bits, block, acc, threads, copies):
    out = subprocess.run([binary, str(k), str(n), str(bits), str(block), str(acc), str(threads),
                          str(copies)], check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "bin"))
    ap.add_argument("--bits", default="4,8")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    binary = os.path.join(args.bin, "phi-bench-gemv")
    print("onnxruntime %s, %d threads, M = 1, block 32, symmetric, best of %d rounds"
          % (ort.__version__, args.threads, args.rounds))
    print("| weight | K x N | bits | acc | phi us | phi GB/s | ort us | ort GB/s | phi/ort |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for bits in [int(b) for b in args.bits.split(",")]:
            for acc in (4, 0):
                for name, k, n in SHAPES:
                    wb = weight_bytes(k, n, bits, 32)
                    copies = max(1, (512 << 20) // wb)
                    oc = min(copies, 64)
                    sess = ort_session(k, n, bits, 32, acc, args.threads, oc, tmp)
                    p, o = float("inf"), float("inf")
                    for _ in range(args.rounds):
                        p = min(p, phi_time(binary, k, n, bits, 32, acc, args.threads, copies))
                        o = min(o, ort_time(sess, k, oc))
                    del sess
                    print("| %s | %dx%d | %d | %d | %.0f | %.1f | %.0f | %.1f | %.2f |" % (
                        name, k, n, bits, acc, p, wb / p / 1e3, o, wb / o / 1e3, p / o))


if __name__ == "__main__":
    main()
