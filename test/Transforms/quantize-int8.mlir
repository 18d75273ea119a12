// RUN: phi-opt %s --phi-quantize-int8 | FileCheck %s
// RUN: phi-opt %s '--phi-quantize-int8=group-size=32 symmetric=false' | FileCheck %s --check-prefix=GROUP
// RUN: not phi-opt %s '--phi-quantize-int8=group-size=48' 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not phi-opt %s '--phi-quantize-int8=lm-head=int4' 2>&1 | FileCheck %s --check-prefix=BADHEAD

// Per channel by default: one block of K = 70 per output column.
// CHECK: %[[Q:.*]], %[[S:.*]] = phi.quantize_nbits %{{.*}} {bits = 8 : i64, block_size = 70 : i64} : (tensor<70x24xf32>) -> (tensor<24x1x70xui8>, tensor<24x1xf32>)
// CHECK: phi.matmul_nbits %{{.*}}, %[[Q]], %[[S]] {bits = 8 : i64, block_size = 70 : i64, k = 70 : i64, n = 24 : i64}

// GROUP: phi.quantize_nbits %{{.*}} {bits = 8 : i64, block_size = 32 : i64, symmetric = false} : (tensor<70x24xf32>) -> (tensor<24x3x32xui8>, tensor<24x3xf32>, tensor<24x3xui8>)

// BAD: error: phi-quantize-int8: group-size must be 0 (per channel) or a power of two from 16 to 256, got 48
// BADHEAD: error: phi-quantize-int8: lm-head must be int8 or float, got 'int4'
func.func @proj(%x: tensor<2x70xf32>) -> tensor<2x24xf32> {
  %w = phi.weight "proj" : tensor<70x24xf32>
  %y = phi.matmul %x, %w : (tensor<2x70xf32>, tensor<70x24xf32>) -> tensor<2x24xf32>
  return %y : tensor<2x24xf32>
}
