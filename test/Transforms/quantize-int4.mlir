// RUN: phi-opt %s --split-input-file --phi-quantize-int4 | FileCheck %s
// RUN: phi-opt %s --split-input-file '--phi-quantize-int4=group-size=16 symmetric=false search=true' | FileCheck %s --check-prefix=ASYM
// RUN: phi-opt %s --split-input-file '--phi-quantize-int4=lm-head=int8' | FileCheck %s --check-prefix=MIXED
// RUN: phi-opt %s --split-input-file '--phi-quantize-int4=lm-head=float exclude=down' | FileCheck %s --check-prefix=KEEP
// RUN: phi-opt %s --split-input-file '--phi-quantize-int4=lm-head=int8 int8=down_proj' | FileCheck %s --check-prefix=DOWN8
// RUN: not phi-opt %s --split-input-file '--phi-quantize-int4=group-size=24' 2>&1 | FileCheck %s --check-prefix=BADGROUP
// RUN: not phi-opt %s --split-input-file '--phi-quantize-int4=lm-head=int2' 2>&1 | FileCheck %s --check-prefix=BADHEAD
// RUN: not phi-opt %s '--phi-quantize-int4=group-size=x' 2>&1 | FileCheck %s --check-prefix=BADPARSE

// CHECK-LABEL: func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x64xf32>)
// CHECK: %[[W:.*]] = phi.weight "up_proj"
// CHECK: %[[Q:.*]], %[[S:.*]] = phi.quantize_nbits %[[W]] {bits = 4 : i64, block_size = 32 : i64} : (tensor<64x96xf32>) -> (tensor<96x2x16xui8>, tensor<96x2xf32>)
// CHECK: %[[H:.*]] = phi.matmul_nbits %[[X]], %[[Q]], %[[S]] {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 96 : i64}
// CHECK: phi.quantize_nbits %{{.*}} {bits = 4 : i64, block_size = 32 : i64} : (tensor<96x64xf32>) -> (tensor<64x3x16xui8>, tensor<64x3xf32>)
// CHECK: phi.quantize_nbits %{{.*}} {bits = 4 : i64, block_size = 32 : i64} : (tensor<64x32xf32>) -> (tensor<32x2x16xui8>, tensor<32x2xf32>)
// CHECK-NOT: phi.matmul %

// ASYM: phi.quantize_nbits %{{.*}} {bits = 4 : i64, block_size = 16 : i64, search = true, symmetric = false} : (tensor<64x96xf32>) -> (tensor<96x4x8xui8>, tensor<96x4xf32>, tensor<96x2xui8>)
// ASYM: phi.matmul_nbits %{{.*}}, %{{.*}}, %{{.*}} zero_points %{{.*}} {bits = 4 : i64, block_size = 16 : i64

// The logits matmul (returned) gets per-channel INT8 in the mixed recipe.
// MIXED: phi.quantize_nbits %{{.*}} {bits = 4 : i64, block_size = 32 : i64} : (tensor<64x96xf32>)
// MIXED: phi.quantize_nbits %{{.*}} {bits = 4 : i64, block_size = 32 : i64} : (tensor<96x64xf32>)
// MIXED: phi.quantize_nbits %{{.*}} {bits = 8 : i64, block_size = 64 : i64} : (tensor<64x32xf32>) -> (tensor<32x1x64xui8>, tensor<32x1xf32>)

// DOWN8: phi.quantize_nbits %{{.*}} {bits = 4 : i64, block_size = 32 : i64} : (tensor<64x96xf32>)
// DOWN8: phi.quantize_nbits %{{.*}} {bits = 8 : i64, block_size = 96 : i64} : (tensor<96x64xf32>) -> (tensor<64x1x96xui8>, tensor<64x1xf32>)
// DOWN8: phi.quantize_nbits %{{.*}} {bits = 8 : i64, block_size = 64 : i64} : (tensor<64x32xf32>)

// KEEP: phi.quantize_nbits %{{.*}} : (tensor<64x96xf32>)
// KEEP: phi.matmul %{{.*}}, %{{.*}} : (tensor<1x?x96xf32>, tensor<96x64xf32>)
// KEEP: phi.matmul %{{.*}}, %{{.*}} : (tensor<1x?x64xf32>, tensor<64x32xf32>)

// BADGROUP: error: phi-quantize-int4: group-size must be a power of two from 16 to 256, got 24
// BADHEAD: error: phi-quantize-int4: lm-head must be int4, int8 or float, got 'int2'
// BADPARSE: for the --group-size option: 'x' value invalid
module attributes {phi.weights = "unused.onnx"} {
func.func @mlp(%x: tensor<1x?x64xf32>) -> tensor<1x?x32xf32> {
  %w1 = phi.weight "up_proj" : tensor<64x96xf32>
  %h = phi.matmul %x, %w1 : (tensor<1x?x64xf32>, tensor<64x96xf32>) -> tensor<1x?x96xf32>
  %w2 = phi.weight "down_proj" : tensor<96x64xf32>
  %o = phi.matmul %h, %w2 : (tensor<1x?x96xf32>, tensor<96x64xf32>) -> tensor<1x?x64xf32>
  %w3 = phi.weight "lm_head" : tensor<64x32xf32>
  %l = phi.matmul %o, %w3 : (tensor<1x?x64xf32>, tensor<64x32xf32>) -> tensor<1x?x32xf32>
  return %l : tensor<1x?x32xf32>
}
}

// -----

// Activations times activations (attention scores) are not weights.
// CHECK-LABEL: func @not_a_weight
// CHECK: phi.matmul %
func.func @not_a_weight(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %r = phi.matmul %a, %b : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

// -----

// RUN: phi-opt %s --split-input-file '--phi-quantize-int4=scale-type=f16' | FileCheck %s --check-prefix=F16
// RUN: not phi-opt %s --split-input-file '--phi-quantize-int4=scale-type=bf16' 2>&1 | FileCheck %s --check-prefix=BADSCALE
// F16-LABEL: func @half_scales
// F16: phi.quantize_nbits %{{.*}} {bits = 4 : i64, block_size = 32 : i64} : (tensor<64x8xf32>) -> (tensor<8x2x16xui8>, tensor<8x2xf16>)
// BADSCALE: error: phi-quantize-int4: scale-type must be f32 or f16, got 'bf16'
func.func @half_scales(%x: tensor<2x64xf32>) -> tensor<2x8xf32> {
  %w = phi.weight "w" : tensor<64x8xf32>
  %y = phi.matmul %x, %w : (tensor<2x64xf32>, tensor<64x8xf32>) -> tensor<2x8xf32>
  %z = phi.sigmoid %y : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %z : tensor<2x8xf32>
}

// -----

// RUN: phi-opt %s --split-input-file '--phi-quantize-int4=embedding=int4' | FileCheck %s --check-prefix=EMB
// RUN: not phi-opt %s --split-input-file '--phi-quantize-int4=embedding=int2' 2>&1 | FileCheck %s --check-prefix=BADEMB
// EMB-LABEL: func @embedding
// EMB: %[[T:.*]] = phi.weight "embed" : tensor<96x64xf32>
// EMB: %[[TT:.*]] = phi.transpose %[[T]] {perm = array<i64: 1, 0>} : (tensor<96x64xf32>) -> tensor<64x96xf32>
// EMB: %[[Q:.*]], %[[S:.*]] = phi.quantize_nbits %[[TT]] {bits = 4 : i64, block_size = 32 : i64} : (tensor<64x96xf32>) -> (tensor<96x2x16xui8>, tensor<96x2xf32>)
// EMB: %[[D:.*]] = phi.dequantize_nbits %[[Q]], %[[S]] {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64} : (tensor<96x2x16xui8>, tensor<96x2xf32>) -> tensor<96x64xf32>
// EMB: phi.embedding %[[D]], %{{.*}}
// BADEMB: error: phi-quantize-int4: embedding must be float, int4 or int8, got 'int2'
func.func @embedding(%ids: tensor<1x?xi64>) -> tensor<1x?x64xf32> {
  %t = phi.weight "embed" : tensor<96x64xf32>
  %h = phi.embedding %t, %ids : (tensor<96x64xf32>, tensor<1x?xi64>) -> tensor<1x?x64xf32>
  return %h : tensor<1x?x64xf32>
}
