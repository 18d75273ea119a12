#!/usr/bin/env bash
# The main job on the bundled tiny Phi-3.5-architecture model (LongRoPE,
# onnxruntime-genai int4 graph and torch.onnx export of the same weights):
# import into the phi dialect, raise to fused ops, show what came out; then
# compile to an int4 ONNX model and generate with onnxruntime-genai, and to
# an int4 CPU library and generate with phi-run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=$BUILD/examples
mkdir -p "$OUT"
for variant in genai-int4 torch; do
  model=test/fixtures/longrope/$variant/model.onnx
  echo "== $model"
  "$BUILD/bin/phi-translate" --import-onnx "$model" -o "$OUT/$variant.mlir"
  "$BUILD/bin/phi-opt" --phi-raise "$OUT/$variant.mlir" -o "$OUT/$variant.raised.mlir"
  echo "   imported: $OUT/$variant.mlir, raised: $OUT/$variant.raised.mlir"
  echo -n "   fused ops: "
  grep -oE "phi\.(embedding|rms_norm|matmul_nbits|matmul|rotary|attention|gated_silu)\b" \
    "$OUT/$variant.raised.mlir" | sort | uniq -c | awk '{printf "%s x%s  ", $2, $1}'
  echo
done

# Compile the fp32 genai graph to an int4 ONNX model (MatMulNBits,
# GroupQueryAttention) and let onnxruntime-genai generate from token ids.
model=test/fixtures/longrope/genai-fp32/model.onnx
echo "== phi-compile $model --quant=int4 -o $OUT/int4"
"$BUILD/bin/phi-compile" "$model" --quant=int4 --accuracy-level=4 -o "$OUT/int4"
ls "$OUT/int4" | sed 's/^/   /'
PY=${PHI_PYTHON:-.venv/bin/python}
"$PY" examples/generate.py "$OUT/int4" 5,17,33,42,9,71,12,8 -n 24

# The same model as a CPU library (object, header, weights) and phi-run.
echo "== phi-compile $model --quant=int4 --target=cpu -o $OUT/cpu"
"$BUILD/bin/phi-compile" "$model" --quant=int4 --accuracy-level=4 --target=cpu -o "$OUT/cpu"
ls "$OUT/cpu" | sed 's/^/   /'
"$BUILD/bin/phi-run" "$OUT/cpu" --tokens 5,17,33,42,9,71,12,8 -n 24 | sed 's/^/   /'
