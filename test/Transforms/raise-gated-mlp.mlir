// RUN: phi-opt %s --phi-raise-gated-mlp | FileCheck %s

// torch.onnx form: fused gate_up matmul, split in halves.
// CHECK-LABEL: func @split_form
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x64xf32>, %[[W:.*]]: tensor<64x256xf32>)
// CHECK: %[[GU:.*]] = phi.matmul %[[X]], %[[W]]
// CHECK: %[[H:.*]] = phi.gated_silu %[[GU]] : (tensor<1x?x256xf32>) -> tensor<1x?x128xf32>
// CHECK: return %[[H]]
func.func @split_form(%x: tensor<1x?x64xf32>, %w: tensor<64x256xf32>) -> tensor<1x?x128xf32> {
  %gu = phi.matmul %x, %w : (tensor<1x?x64xf32>, tensor<64x256xf32>) -> tensor<1x?x256xf32>
  %g, %u = phi.split %gu {axis = 2 : i64, sizes = array<i64: 128, 128>} : (tensor<1x?x256xf32>) -> (tensor<1x?x128xf32>, tensor<1x?x128xf32>)
  %s = phi.sigmoid %g : (tensor<1x?x128xf32>) -> tensor<1x?x128xf32>
  %a = phi.mul %g, %s : (tensor<1x?x128xf32>, tensor<1x?x128xf32>) -> tensor<1x?x128xf32>
  %h = phi.mul %u, %a : (tensor<1x?x128xf32>, tensor<1x?x128xf32>) -> tensor<1x?x128xf32>
  return %h : tensor<1x?x128xf32>
}

// onnxruntime-genai form: separate gate and up matmuls on the same input.
// CHECK-LABEL: func @two_matmuls
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x64xf32>, %[[WG:.*]]: tensor<64x128xf32>, %[[WU:.*]]: tensor<64x128xf32>)
// CHECK: %[[W:.*]] = phi.concat %[[WG]], %[[WU]] {axis = 1 : i64} : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x256xf32>
// CHECK: %[[GU:.*]] = phi.matmul %[[X]], %[[W]] : (tensor<1x?x64xf32>, tensor<64x256xf32>) -> tensor<1x?x256xf32>
// CHECK: phi.gated_silu %[[GU]]
func.func @two_matmuls(%x: tensor<1x?x64xf32>, %wg: tensor<64x128xf32>, %wu: tensor<64x128xf32>) -> tensor<1x?x128xf32> {
  %g = phi.matmul %x, %wg : (tensor<1x?x64xf32>, tensor<64x128xf32>) -> tensor<1x?x128xf32>
  %u = phi.matmul %x, %wu : (tensor<1x?x64xf32>, tensor<64x128xf32>) -> tensor<1x?x128xf32>
  %s = phi.sigmoid %g : (tensor<1x?x128xf32>) -> tensor<1x?x128xf32>
  %a = phi.mul %s, %g : (tensor<1x?x128xf32>, tensor<1x?x128xf32>) -> tensor<1x?x128xf32>
  %h = phi.mul %a, %u : (tensor<1x?x128xf32>, tensor<1x?x128xf32>) -> tensor<1x?x128xf32>
  return %h : tensor<1x?x128xf32>
}

// MatMulNBits form: codes, scales and zero points stacked row-wise.
// CHECK-LABEL: func @nbits
// CHECK-DAG: %[[B:.*]] = phi.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<128x2x16xui8>, tensor<128x2x16xui8>) -> tensor<256x2x16xui8>
// CHECK-DAG: %[[S:.*]] = phi.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<128x2xf32>, tensor<128x2xf32>) -> tensor<256x2xf32>
// CHECK-DAG: %[[Z:.*]] = phi.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<128xui8>, tensor<128xui8>) -> tensor<256xui8>
// CHECK: %[[GU:.*]] = phi.matmul_nbits %{{.*}}, %[[B]], %[[S]] zero_points %[[Z]] {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 256 : i64}
// CHECK: phi.gated_silu %[[GU]]
func.func @nbits(%x: tensor<1x?x64xf32>, %bg: tensor<128x2x16xui8>, %sg: tensor<128x2xf32>, %zg: tensor<128xui8>,
                 %bu: tensor<128x2x16xui8>, %su: tensor<128x2xf32>, %zu: tensor<128xui8>) -> tensor<1x?x128xf32> {
  %g = phi.matmul_nbits %x, %bg, %sg zero_points %zg {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 128 : i64} : (tensor<1x?x64xf32>, tensor<128x2x16xui8>, tensor<128x2xf32>, tensor<128xui8>) -> tensor<1x?x128xf32>
  %u = phi.matmul_nbits %x, %bu, %su zero_points %zu {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 128 : i64} : (tensor<1x?x64xf32>, tensor<128x2x16xui8>, tensor<128x2xf32>, tensor<128xui8>) -> tensor<1x?x128xf32>
  %s = phi.sigmoid %g : (tensor<1x?x128xf32>) -> tensor<1x?x128xf32>
  %a = phi.mul %g, %s : (tensor<1x?x128xf32>, tensor<1x?x128xf32>) -> tensor<1x?x128xf32>
  %h = phi.mul %u, %a : (tensor<1x?x128xf32>, tensor<1x?x128xf32>) -> tensor<1x?x128xf32>
  return %h : tensor<1x?x128xf32>
}

// Different inputs: only the SiLU is raised.
// CHECK-LABEL: func @different_inputs
// CHECK: phi.silu
// CHECK-NOT: phi.gated_silu
func.func @different_inputs(%x: tensor<2x64xf32>, %y: tensor<2x64xf32>, %w: tensor<64x128xf32>) -> tensor<2x128xf32> {
  %g = phi.matmul %x, %w : (tensor<2x64xf32>, tensor<64x128xf32>) -> tensor<2x128xf32>
  %u = phi.matmul %y, %w : (tensor<2x64xf32>, tensor<64x128xf32>) -> tensor<2x128xf32>
  %s = phi.sigmoid %g : (tensor<2x128xf32>) -> tensor<2x128xf32>
  %a = phi.mul %g, %s : (tensor<2x128xf32>, tensor<2x128xf32>) -> tensor<2x128xf32>
  %h = phi.mul %u, %a : (tensor<2x128xf32>, tensor<2x128xf32>) -> tensor<2x128xf32>
  return %h : tensor<2x128xf32>
}
