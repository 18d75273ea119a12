# onnxruntime-genai loads phi-compile's output directory (model.onnx, its
# external data, genai_config.json) and generates, from token ids, the same
# greedy tokens as onnxruntime running the source model with its own KV-cache
# loop (eos suppressed in both: min_length) — across LongRoPE's switch (prompt 8 + 22 new tokens > original max 16).
# Both styles: ort (GroupQueryAttention, shared KV buffer) and qdq (standard
# attention, past and present apart). The fp32 source and its int4
# (accuracy level 4) against the builder's own int4 graph. For the ort style,
# phi's CPU artifact of the same model and quantization (phi-run, eos
# suppressed likewise) generates the same tokens as onnxruntime-genai.
# REQUIRES: onnxruntime, onnxruntime-genai
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python %s %t %fixtures | FileCheck %s
# CHECK: longrope/genai-fp32 fp32 ort: 22 tokens identical, phi-run identical
# CHECK: longrope/genai-fp32 fp32 qdq: 22 tokens identical
# CHECK: gqa/genai-fp32 fp32 ort: 22 tokens identical, phi-run identical
# CHECK: gqa/genai-fp32 fp32 qdq: 22 tokens identical
# CHECK: mini4k/genai-fp32 fp32 ort: 22 tokens identical, phi-run identical
# CHECK: mini4k/genai-fp32 fp32 qdq: 22 tokens identical
# CHECK: longrope/genai-fp32 int4 ort: 22 tokens identical, phi-run identical
# CHECK: share buffer: ort true, qdq false

import json
import os
import subprocess
import sys

import onnxruntime_genai as og

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "Inputs"))
import ortcompare as oc  # noqa: E402

tmp, fixtures = sys.argv[1], sys.argv[2]
PROMPT = [5, 17, 33, 42, 9, 71, 12, 8]
N = 22
failed = False


def genai_greedy(model_dir):
    model = og.Model(model_dir)
    params = og.GeneratorParams(model)
    # min_length keeps the random-weight model going past its eos token.
    params.set_search_options(max_length=len(PROMPT) + N, min_length=len(PROMPT) + N,
                              do_sample=False)
    gen = og.Generator(model, params)
    gen.append_tokens(PROMPT)
    toks = []
    while not gen.is_done():
        gen.generate_next_token()
        toks.append(int(gen.get_next_tokens()[0]))
    return toks


def case(fx, quant, style, oracle, *flags):
    global failed
    out = os.path.join(tmp, "%s_%s_%s" % (fx.replace("/", "_"), quant, style))
    subprocess.run(["phi-compile", os.path.join(fixtures, fx, "model.onnx"), "-o", out,
                    "--quant=" + quant, "--onnx-style=" + style, *flags], check=True)
    got = genai_greedy(out)
    eos = json.load(open(os.path.join(out, "genai_config.json")))["model"]["eos_token_id"]
    want = oc.greedy(oc.session(oracle), PROMPT, len(got), suppress=[eos])
    if got == want and len(got) == N:
        msg = "%s %s %s: %d tokens identical" % (fx, quant, style, len(got))
        if style == "ort":
            cpu = out + "_cpu"
            subprocess.run(["phi-compile", os.path.join(fixtures, fx, "model.onnx"), "-o", cpu,
                            "--quant=" + quant, "--target=cpu", *flags], check=True)
            run = subprocess.run(["phi-run", cpu, "--tokens", ",".join(map(str, PROMPT)),
                                  "-n", str(N), "--suppress", str(eos)],
                                 check=True, capture_output=True, text=True).stdout
            phi = [int(t) for t in run.split("tokens:")[1].split()[0].split(",")]
            if phi == got:
                msg += ", phi-run identical"
            else:
                failed = True
                msg += ", phi-run differs: %s" % phi
        print(msg)
    else:
        failed = True
        print("%s %s %s: genai %s != onnxruntime %s" % (fx, quant, style, got, want))
    return out


for fx in ["longrope/genai-fp32", "gqa/genai-fp32", "mini4k/genai-fp32"]:
    src = os.path.join(fixtures, fx, "model.onnx")
    ort_dir = case(fx, "fp32", "ort", src)
    qdq_dir = case(fx, "fp32", "qdq", src)
case("longrope/genai-fp32", "int4", "ort",
     os.path.join(fixtures, "longrope/genai-int4/model.onnx"), "--accuracy-level=4")

share = [json.load(open(os.path.join(d, "genai_config.json")))["search"]["past_present_share_buffer"]
         for d in (ort_dir, qdq_dir)]
print("share buffer: ort %s, qdq %s" % tuple(str(s).lower() for s in share))
sys.exit(1 if failed else 0)
