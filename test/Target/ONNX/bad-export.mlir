// IR with no ONNX form in the chosen style stops the export with one error
// naming the op, and no file is left behind.
// RUN: rm -rf %t && mkdir -p %t
// RUN: not phi-translate --export-onnx %s --split-input-file -o %t/out.onnx 2>&1 | FileCheck %s
// RUN: not test -e %t/out.onnx
// RUN: not phi-translate --export-onnx --onnx-style=qdq %s --split-input-file -o %t/out.onnx 2>&1 | FileCheck %s --check-prefix=QDQ
// RUN: not test -e %t/out.onnx
// RUN: not phi-translate --export-onnx --onnx-style=tflite %s --split-input-file -o %t/out.onnx 2>&1 | FileCheck %s --check-prefix=STYLE
// RUN: not test -e %t/out.onnx

// CHECK: error: 'arith.addf' has no ONNX equivalent in the 'ort' style
// QDQ: error: 'arith.addf' has no ONNX equivalent in the 'qdq' style
// STYLE: error: --onnx-style must be ort or qdq, got 'tflite'
func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: error: exporting rotary needs [B, H, S, D] with a static D
func.func @main(%x: tensor<1x4x?x?xf32>, %p: tensor<1x?xi64>) -> tensor<1x4x?x?xf32> {
  %0 = phi.rotary %x, %p {theta = 10000.0 : f32, rotary_dim = 16 : i64} : (tensor<1x4x?x?xf32>, tensor<1x?xi64>) -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}

// -----

// CHECK: error: argument type 'tensor<4xf8E4M3FN>' has no ONNX equivalent
func.func @main(%a: tensor<4xf8E4M3FN>) -> tensor<4xf8E4M3FN> {
  return %a : tensor<4xf8E4M3FN>
}

// -----

// CHECK: error: expected a single-block func.func @main
func.func @other(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
