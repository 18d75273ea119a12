#!/usr/bin/env bash
# The main job on the bundled tiny Phi-3.5-architecture model (LongRoPE,
# onnxruntime-genai int4 graph and torch.onnx export of the same weights):
# import into the phi dialect, raise to fused ops, show what came out.
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
