// RUN: phi-opt %s --phi-raise-rotary | FileCheck %s

// LongRoPE as Hugging Face computes it (dynamo export), inverse frequencies
// for theta = 10000, d = 4: short factors 1, 2 -> inv = [1, 0.005];
// long factors 2, 4 -> inv = [0.5, 0.0025].
// CHECK-LABEL: func @longrope
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x?x4xf32>, %[[POS:.*]]: tensor<1x?xi64>)
// CHECK: %[[R:.*]] = phi.rotary %[[X]], %[[POS]] {long_factor = array<f32: 2.000000e+00, 4.000000e+00>, mscale = 1.500000e+00 : f32, original_max_positions = 16 : i64, rotary_dim = 4 : i64, short_factor = array<f32: 1.000000e+00, 2.000000e+00>, theta = 1.000000e+04 : f32}
// CHECK-NEXT: return %[[R]]
func.func @longrope(%x: tensor<1x2x?x4xf32>, %pos: tensor<1x?xi64>) -> tensor<1x2x?x4xf32> {
  %one = arith.constant dense<1> : tensor<i64>
  %t = arith.constant dense<16> : tensor<i64>
  %long = arith.constant dense<[0.5, 0.0025]> : tensor<2xf32>
  %short = arith.constant dense<[1.0, 0.005]> : tensor<2xf32>
  %m = arith.constant dense<1.5> : tensor<f32>
  %s0 = arith.constant dense<0> : tensor<1xi64>
  %s2 = arith.constant dense<2> : tensor<1xi64>
  %big = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %ax = arith.constant dense<3> : tensor<1xi64>
  %st = arith.constant dense<1> : tensor<1xi64>
  %mx = phi.reduce_max %pos {axes = array<i64: 0, 1>, keepdims = false} : (tensor<1x?xi64>) -> tensor<i64>
  %len = phi.add %mx, %one : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %gt = phi.greater %len, %t : (tensor<i64>, tensor<i64>) -> tensor<i1>
  %inv = phi.where %gt, %long, %short : (tensor<i1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %pu = phi.unsqueeze %pos {axes = array<i64: 2>} : (tensor<1x?xi64>) -> tensor<1x?x1xi64>
  %pf = phi.cast %pu : (tensor<1x?x1xi64>) -> tensor<1x?x1xf32>
  %f = phi.mul %pf, %inv : (tensor<1x?x1xf32>, tensor<2xf32>) -> tensor<1x?x2xf32>
  %e = phi.concat %f, %f {axis = -1 : i64} : (tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x4xf32>
  %c = phi.cos %e : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  %cm = phi.mul %c, %m : (tensor<1x?x4xf32>, tensor<f32>) -> tensor<1x?x4xf32>
  %s = phi.sin %e : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  %sm = phi.mul %s, %m : (tensor<1x?x4xf32>, tensor<f32>) -> tensor<1x?x4xf32>
  %cu = phi.unsqueeze %cm {axes = array<i64: 1>} : (tensor<1x?x4xf32>) -> tensor<1x1x?x4xf32>
  %su = phi.unsqueeze %sm {axes = array<i64: 1>} : (tensor<1x?x4xf32>) -> tensor<1x1x?x4xf32>
  %xc = phi.mul %x, %cu : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
  %x1 = phi.slice %x, %s0, %s2 axes %ax steps %st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
  %x2 = phi.slice %x, %s2, %big axes %ax steps %st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
  %n = phi.neg %x2 : (tensor<1x2x?x2xf32>) -> tensor<1x2x?x2xf32>
  %rh = phi.concat %n, %x1 {axis = -1 : i64} : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
  %rs = phi.mul %rh, %su : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
  %y = phi.add %xc, %rs : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
  return %y : tensor<1x2x?x4xf32>
}

// rotate_half with the halves swapped (concat(-x1, x2)) is not RoPE.
// CHECK-LABEL: func @wrong_halves
// CHECK-NOT: phi.rotary
func.func @wrong_halves(%x: tensor<1x2x?x4xf32>, %pos: tensor<1x?xi64>) -> tensor<1x2x?x4xf32> {
  %inv = arith.constant dense<[1.0, 0.01]> : tensor<2xf32>
  %m = arith.constant dense<1.0> : tensor<f32>
  %s0 = arith.constant dense<0> : tensor<1xi64>
  %s2 = arith.constant dense<2> : tensor<1xi64>
  %s4 = arith.constant dense<4> : tensor<1xi64>
  %ax = arith.constant dense<-1> : tensor<1xi64>
  %pu = phi.unsqueeze %pos {axes = array<i64: 2>} : (tensor<1x?xi64>) -> tensor<1x?x1xi64>
  %pf = phi.cast %pu : (tensor<1x?x1xi64>) -> tensor<1x?x1xf32>
  %f = phi.mul %pf, %inv : (tensor<1x?x1xf32>, tensor<2xf32>) -> tensor<1x?x2xf32>
  %e = phi.concat %f, %f {axis = -1 : i64} : (tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x4xf32>
  %c = phi.cos %e : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  %cm = phi.mul %c, %m : (tensor<1x?x4xf32>, tensor<f32>) -> tensor<1x?x4xf32>
  %s = phi.sin %e : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  %sm = phi.mul %s, %m : (tensor<1x?x4xf32>, tensor<f32>) -> tensor<1x?x4xf32>
  %cu = phi.unsqueeze %cm {axes = array<i64: 1>} : (tensor<1x?x4xf32>) -> tensor<1x1x?x4xf32>
  %su = phi.unsqueeze %sm {axes = array<i64: 1>} : (tensor<1x?x4xf32>) -> tensor<1x1x?x4xf32>
  %xc = phi.mul %x, %cu : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
  %x1 = phi.slice %x, %s0, %s2 axes %ax : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
  %x2 = phi.slice %x, %s2, %s4 axes %ax : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
  %n = phi.neg %x1 : (tensor<1x2x?x2xf32>) -> tensor<1x2x?x2xf32>
  %rh = phi.concat %n, %x2 {axis = -1 : i64} : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
  %rs = phi.mul %rh, %su : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
  %y = phi.add %xc, %rs : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
  return %y : tensor<1x2x?x4xf32>
}
