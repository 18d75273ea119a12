// RUN: phi-opt %s --phi-cast-fp16 | FileCheck %s
// RUN: phi-opt %s --phi-quantize-int4 --phi-cast-fp16 | FileCheck %s --check-prefix=INT4

// The fp16 policy: weights and activations f16; reductions and softmax read
// f32; the returned logits matmul produces f32; the signature is unchanged.
// CHECK-LABEL: func @policy
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x64xf32>) -> tensor<1x4x32xf32>
// CHECK: %[[XH:.*]] = phi.cast %[[X]] : (tensor<1x4x64xf32>) -> tensor<1x4x64xf16>
// CHECK: %[[EPS:.*]] = arith.constant dense<{{[0-9.e+-]+}}> : tensor<f16>
// CHECK: %[[W:.*]] = phi.weight "norm" : tensor<64xf32>
// CHECK: %[[WH:.*]] = phi.cast %[[W]] : (tensor<64xf32>) -> tensor<64xf16>
// CHECK: %[[N:.*]] = phi.rms_norm %[[XH]], %[[WH]] : (tensor<1x4x64xf16>, tensor<64xf16>) -> tensor<1x4x64xf16>
// CHECK: %[[NF:.*]] = phi.cast %[[N]] : (tensor<1x4x64xf16>) -> tensor<1x4x64xf32>
// CHECK: %[[M:.*]] = phi.reduce_mean %[[NF]] {{.*}} -> tensor<1x4x1xf32>
// CHECK: %[[MH:.*]] = phi.cast %[[M]] : (tensor<1x4x1xf32>) -> tensor<1x4x1xf16>
// CHECK: phi.add %[[MH]], %[[EPS]] : (tensor<1x4x1xf16>, tensor<f16>) -> tensor<1x4x1xf16>
// CHECK: %[[SF:.*]] = phi.cast %{{.*}} : (tensor<1x4x64xf16>) -> tensor<1x4x64xf32>
// CHECK: %[[S:.*]] = phi.softmax %[[SF]] : tensor<1x4x64xf32>
// CHECK: phi.cast %[[S]] : (tensor<1x4x64xf32>) -> tensor<1x4x64xf16>
// CHECK: %[[L:.*]] = phi.matmul %{{.*}}, %{{.*}} : (tensor<1x4x64xf16>, tensor<64x32xf16>) -> tensor<1x4x32xf32>
// CHECK: return %[[L]] : tensor<1x4x32xf32>

// INT4 weights with fp16 activations: the packer quantizes the f32 weights,
// scales stay f32, activations are f16.
// INT4: %[[Q:.*]], %[[S:.*]] = phi.quantize_nbits %{{.*}} {bits = 4 : i64, block_size = 32 : i64} : (tensor<64x32xf32>) -> (tensor<32x2x16xui8>, tensor<32x2xf32>)
// INT4: %[[L:.*]] = phi.matmul_nbits %{{.*}}, %[[Q]], %[[S]] {{.*}} : (tensor<1x4x64xf16>, tensor<32x2x16xui8>, tensor<32x2xf32>) -> tensor<1x4x32xf16>
// INT4: %[[LF:.*]] = phi.cast %[[L]] : (tensor<1x4x32xf16>) -> tensor<1x4x32xf32>
// INT4: return %[[LF]]
func.func @policy(%x: tensor<1x4x64xf32>) -> tensor<1x4x32xf32> {
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %w = phi.weight "norm" : tensor<64xf32>
  %n = phi.rms_norm %x, %w : (tensor<1x4x64xf32>, tensor<64xf32>) -> tensor<1x4x64xf32>
  %m = phi.reduce_mean %n {axes = array<i64: -1>} : (tensor<1x4x64xf32>) -> tensor<1x4x1xf32>
  %v = phi.add %m, %eps : (tensor<1x4x1xf32>, tensor<f32>) -> tensor<1x4x1xf32>
  %d = phi.div %n, %v : (tensor<1x4x64xf32>, tensor<1x4x1xf32>) -> tensor<1x4x64xf32>
  %s = phi.softmax %d : tensor<1x4x64xf32>
  %wl = phi.weight "lm_head" : tensor<64x32xf32>
  %l = phi.matmul %s, %wl : (tensor<1x4x64xf32>, tensor<64x32xf32>) -> tensor<1x4x32xf32>
  return %l : tensor<1x4x32xf32>
}
