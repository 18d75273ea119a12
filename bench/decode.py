#!/usr/bin/env python3
"""End-to-end decode at Phi-3.5-mini's real shapes: phi's CPU artifact vs
onnxruntime on the same int4 graph and weights, same machine, same run.

  .venv/bin/python bench/decode.py [--work /tmp/phi35] [--threads 2] [--layers 32]
                                  [--prompt 8] [--steps 16]

(--layers 2 --prompt 1000: long-context attention and prefill on a small model.)

Writes a random-weight Phi-3.5-mini int4 graph as the onnxruntime-genai
builder does (bench/phi35_model.py, ~2.3 GB, made once), compiles it with
`phi-compile --target=cpu` (accuracy level 4 as in the graph, and 0), then for
each accuracy level: onnxruntime runs a prefill of the prompt and greedy
decode steps with its KV cache (OrtValues fed back, no copies), and `phi-run`
does the same with the compiled model (weights mapped, and read into huge
pages with --huge-pages). Prints decode tokens/s, the weight
bytes streamed per token as GB/s, and phi / onnxruntime ratios (> 1: phi is
faster; the best of --rounds alternating runs of each); checks that both
produced the same greedy tokens."""
import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import phi35_model  # noqa: E402

PROMPT = [1, 450, 4996, 17354, 1701, 432, 17204, 975]


def weight_bytes_per_token(model_dir):
    # Everything but the embedding table (one row per token) is read per token.
    data = os.path.getsize(os.path.join(model_dir, "model.onnx.data"))
    return data - phi35_model.VOCAB * phi35_model.HIDDEN * 4


def ort_decode(path, steps, threads, layers):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    kv = phi35_model.KV_HEADS, phi35_model.HEAD_DIM
    feeds = {"past_key_values.%d.%s" % (i, k): ort.OrtValue.ortvalue_from_numpy(
        np.zeros((1, kv[0], 0, kv[1]), np.float32)) for i in range(layers) for k in ("key", "value")}
    out_names = [o.name for o in sess.get_outputs()]
    tokens, ids, times = [], PROMPT, []
    total = 0
    for step in range(steps + 1):
        total += len(ids)
        feeds["input_ids"] = ort.OrtValue.ortvalue_from_numpy(np.array([ids], np.int64))
        feeds["attention_mask"] = ort.OrtValue.ortvalue_from_numpy(np.ones((1, total), np.int64))
        t0 = time.perf_counter()
        outs = sess.run_with_ort_values(out_names, feeds)
        times.append(time.perf_counter() - t0)
        res = dict(zip(out_names, outs))
        nxt = int(np.argmax(res["logits"].numpy()[0, -1]))
        tokens.append(nxt)
        for i in range(layers):
            for k in ("key", "value"):
                feeds["past_key_values.%d.%s" % (i, k)] = res["present.%d.%s" % (i, k)]
        ids = [nxt]
    return tokens, len(PROMPT) / times[0], steps / sum(times[1:])


def phi_decode(binary, out_dir, steps, threads, huge):
    out = subprocess.run([binary, out_dir, "--tokens", ",".join(map(str, PROMPT)), "-n",
                          str(steps + 1), "--num-threads", str(threads)] +
                         (["--huge-pages"] if huge else []),
                         check=True, capture_output=True, text=True).stdout
    tokens = [int(t) for t in re.search(r"tokens:\s*([\d,]+)", out).group(1).split(",")]
    prefill = float(re.search(r"prefill: .*?([\d.]+) tokens/s", out).group(1))
    decode = float(re.search(r"decode: .*?([\d.]+) tokens/s", out).group(1))
    return tokens, prefill, decode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/phi35-bench")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=len(PROMPT),
                    help="prompt length (beyond 8: random token ids, fixed seed)")
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "bin"))
    args = ap.parse_args()
    if args.prompt != len(PROMPT):
        PROMPT[:] = np.random.default_rng(0).integers(1, 32000, args.prompt).tolist()
    model_dir = os.path.join(args.work, "model-%dl" % args.layers)
    if not os.path.exists(os.path.join(model_dir, "model_acc0.onnx")):
        print("writing the Phi-3.5-mini-shaped int4 model to %s ..." % model_dir, flush=True)
        phi35_model.build(model_dir, args.layers, 8192)
    wb = weight_bytes_per_token(model_dir)
    print("onnxruntime %s, %d threads, %d layers, %.2f GB of weights per token, prompt %d, %d decode steps"
          % (ort.__version__, args.threads, args.layers, wb / 1e9, len(PROMPT), args.steps))
    print("| accuracy | phi decode tok/s | phi GB/s | ort decode tok/s | ort GB/s | phi/ort | "
          "phi prefill tok/s | ort prefill tok/s | same tokens | phi huge pages tok/s | /ort |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for acc, onnx_name in ((4, "model.onnx"), (0, "model_acc0.onnx")):
        out_dir = os.path.join(args.work, "phi-%dl-acc%d" % (args.layers, acc))
        compiler = os.path.join(args.bin, "phi-compile")
        weights = os.path.join(out_dir, "model.weights")
        if not os.path.exists(weights) or os.path.getmtime(compiler) > os.path.getmtime(weights):
            t0 = time.perf_counter()
            subprocess.run([os.path.join(args.bin, "phi-compile"), os.path.join(model_dir, onnx_name),
                            "--target=cpu", "-o", out_dir], check=True)
            print("(phi-compile --target=cpu: %.1f s)" % (time.perf_counter() - t0), flush=True)
        op = od = pp = pd = hd = 0.0
        run = os.path.join(args.bin, "phi-run")
        for _ in range(args.rounds):
            ot, p1, d1 = ort_decode(os.path.join(model_dir, onnx_name), args.steps, args.threads,
                                    args.layers)
            op, od = max(op, p1), max(od, d1)
            pt, p1, d1 = phi_decode(run, out_dir, args.steps, args.threads, False)
            pp, pd = max(pp, p1), max(pd, d1)
            ht, _, d1 = phi_decode(run, out_dir, args.steps, args.threads, True)
            hd = max(hd, d1)
        print("| %d | %.2f | %.1f | %.2f | %.1f | %.2f | %.1f | %.1f | %s | %.2f | %.2f |" % (
            acc, pd, pd * wb / 1e9, od, od * wb / 1e9, pd / od, pp, op, "yes" if pt == ot == ht else
            "no (%d of %d)" % (sum(a == b for a, b in zip(pt, ot)), len(ot)), hd, hd / od), flush=True)


if __name__ == "__main__":
    main()
