"""Greedy generation from token ids with onnxruntime-genai on a phi-compile
output directory:  python examples/generate.py out/ 5,17,33 -n 16"""
import argparse
import time

import onnxruntime_genai as og

ap = argparse.ArgumentParser()
ap.add_argument("model_dir")
ap.add_argument("tokens", help="comma-separated prompt token ids")
ap.add_argument("-n", type=int, default=16, help="tokens to generate")
args = ap.parse_args()
prompt = [int(t) for t in args.tokens.split(",")]
model = og.Model(args.model_dir)
params = og.GeneratorParams(model)
params.set_search_options(max_length=len(prompt) + args.n, do_sample=False)
gen = og.Generator(model, params)
start = time.perf_counter()
gen.append_tokens(prompt)
out = []
while not gen.is_done():
    gen.generate_next_token()
    out.append(int(gen.get_next_tokens()[0]))
dt = time.perf_counter() - start
print("   generated:", ",".join(map(str, out)), "(%.0f tokens/s)" % (len(out) / dt))
