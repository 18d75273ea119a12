// phi-compile runs plugin passes between raising and quantization.
// RUN: rm -rf %t && phi-compile %fixtures/longrope/genai-fp32/model.onnx --load-pass-plugin=%plugin --extra-passes='func.func(phi-example-weight-bytes)' --emit=mlir -o %t 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: FileCheck %s < %t/model.mlir
// The fixture: hidden 64, 2 layers of qkv 64x192, o 64x64, gate+up 64x256,
// down 128x64, then lm_head 64x96, all f32.
// REMARK: remark: 9 matmuls read 352256 bytes of weights per token
// CHECK-COUNT-9: example.weight_bytes
