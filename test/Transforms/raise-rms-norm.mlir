// RUN: phi-opt %s --phi-raise-rms-norm | FileCheck %s
// The README's example:
// RUN: phi-opt --phi-raise-rms-norm %phi_src/examples/rms_norm.mlir | FileCheck %s --check-prefix=EXAMPLE
// EXAMPLE: phi.rms_norm %arg0, %arg1 : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
// EXAMPLE-NOT: phi.reduce_mean

// CHECK-LABEL: func @reciprocal_form
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK: %[[N:.*]] = phi.rms_norm %[[X]], %[[W]] : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
// CHECK-NEXT: return %[[N]]
func.func @reciprocal_form(%x: tensor<1x?x64xf32>, %w: tensor<64xf32>) -> tensor<1x?x64xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %p = phi.pow %x, %two : (tensor<1x?x64xf32>, tensor<f32>) -> tensor<1x?x64xf32>
  %m = phi.reduce_mean %p {axes = array<i64: -1>, keepdims = true} : (tensor<1x?x64xf32>) -> tensor<1x?x1xf32>
  %v = phi.add %m, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
  %s = phi.sqrt %v : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
  %r = phi.reciprocal %s : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
  %n = phi.mul %x, %r : (tensor<1x?x64xf32>, tensor<1x?x1xf32>) -> tensor<1x?x64xf32>
  %y = phi.mul %w, %n : (tensor<64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
  return %y : tensor<1x?x64xf32>
}

// Div(1, sqrt) form, eps first in the Add, identity casts, weight on the right.
// CHECK-LABEL: func @div_form
// CHECK: phi.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32}
// CHECK-NOT: phi.reduce_mean
func.func @div_form(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  %one = arith.constant dense<1.0> : tensor<1xf32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-06> : tensor<f32>
  %xc = phi.cast %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %p = phi.pow %xc, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %m = phi.reduce_mean %p {axes = array<i64: 1>, keepdims = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %v = phi.add %eps, %m : (tensor<f32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  %s = phi.sqrt %v : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %r = phi.div %one, %s : (tensor<1xf32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  %n = phi.mul %xc, %r : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %y = phi.mul %n, %w : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// Mean over a non-final axis is not an RMSNorm.
// CHECK-LABEL: func @wrong_axis
// CHECK-NOT: phi.rms_norm
func.func @wrong_axis(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-06> : tensor<f32>
  %p = phi.pow %x, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %m = phi.reduce_mean %p {axes = array<i64: 0>, keepdims = true} : (tensor<2x8xf32>) -> tensor<1x8xf32>
  %v = phi.add %m, %eps : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %s = phi.sqrt %v : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %r = phi.reciprocal %s : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %n = phi.mul %x, %r : (tensor<2x8xf32>, tensor<1x8xf32>) -> tensor<2x8xf32>
  %y = phi.mul %w, %n : (tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// A residual add in front of the norm becomes its skip operand; the residual
// result replaces the add's other uses.
// CHECK-LABEL: func @skip
// CHECK-SAME: (%[[A:.*]]: tensor<2x8xf32>, %[[B:.*]]: tensor<2x8xf32>, %[[W:.*]]: tensor<8xf32>)
// CHECK: %[[N:.*]], %[[R:.*]] = phi.rms_norm %[[A]], %[[W]] skip %[[B]]
// CHECK: return %[[N]], %[[R]]
func.func @skip(%a: tensor<2x8xf32>, %b: tensor<2x8xf32>, %w: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %s = phi.add %a, %b : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %n = phi.rms_norm %s, %w : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %n, %s : tensor<2x8xf32>, tensor<2x8xf32>
}
