// RUN: phi-opt %s | phi-opt | FileCheck %s
// RUN: phi-opt %s --mlir-print-op-generic | phi-opt | FileCheck %s

// CHECK-LABEL: func @fused
func.func @fused(%ids: tensor<1x?xi64>, %pos: tensor<1x?xi64>, %x: tensor<1x?x64xf32>,
                 %pk: tensor<1x2x?x16xf32>, %pv: tensor<1x2x?x16xf32>, %mask: tensor<1x?xi64>,
                 %q: tensor<1x4x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) {
  // CHECK: %[[T:.*]] = phi.weight "model.embed_tokens.weight" : tensor<128x64xf32>
  %table = phi.weight "model.embed_tokens.weight" : tensor<128x64xf32>
  // CHECK: phi.embedding %[[T]], %{{.*}} : (tensor<128x64xf32>, tensor<1x?xi64>) -> tensor<1x?x64xf32>
  %h = phi.embedding %table, %ids : (tensor<128x64xf32>, tensor<1x?xi64>) -> tensor<1x?x64xf32>
  %w = phi.weight "model.norm.weight" : tensor<64xf32>
  // CHECK: phi.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
  %n = phi.rms_norm %h, %w {epsilon = 1.0e-6 : f32} : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
  // CHECK: phi.rms_norm %{{.*}}, %{{.*}} skip %{{.*}} : (tensor<1x?x64xf32>, tensor<64xf32>, tensor<1x?x64xf32>) -> (tensor<1x?x64xf32>, tensor<1x?x64xf32>)
  %n2, %res = phi.rms_norm %h, %w skip %x : (tensor<1x?x64xf32>, tensor<64xf32>, tensor<1x?x64xf32>) -> (tensor<1x?x64xf32>, tensor<1x?x64xf32>)
  %wq = phi.weight "qkv" : tensor<64x128xf32>
  // CHECK: phi.matmul %{{.*}}, %{{.*}} : (tensor<1x?x64xf32>, tensor<64x128xf32>) -> tensor<1x?x128xf32>
  %m = phi.matmul %n, %wq : (tensor<1x?x64xf32>, tensor<64x128xf32>) -> tensor<1x?x128xf32>
  %b = phi.weight "qkv.q" : tensor<128x2x16xui8>
  %s = phi.weight "qkv.scales" : tensor<256xf32>
  %zp = phi.weight "qkv.zp" : tensor<128xui8>
  // CHECK: phi.matmul_nbits %{{.*}}, %{{.*}}, %{{.*}} {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 128 : i64}
  %mq = phi.matmul_nbits %n, %b, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 128 : i64}
      : (tensor<1x?x64xf32>, tensor<128x2x16xui8>, tensor<256xf32>) -> tensor<1x?x128xf32>
  // CHECK: phi.matmul_nbits {{.*}} zero_points %{{.*}} {bits = 4
  %mz = phi.matmul_nbits %n, %b, %s zero_points %zp {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 128 : i64}
      : (tensor<1x?x64xf32>, tensor<128x2x16xui8>, tensor<256xf32>, tensor<128xui8>) -> tensor<1x?x128xf32>
  // CHECK: phi.rotary %{{.*}}, %{{.*}} {long_factor = array<f32: 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00>, mscale = 1.19023812 : f32, original_max_positions = 16 : i64, rotary_dim = 16 : i64, short_factor = array<f32: 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00>, theta = 1.000000e+04 : f32}
  %qr = phi.rotary %q, %pos {theta = 10000.0 : f32, rotary_dim = 16 : i64, mscale = 1.1902381 : f32,
                             short_factor = array<f32: 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0>,
                             long_factor = array<f32: 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0>,
                             original_max_positions = 16 : i64}
      : (tensor<1x4x?x16xf32>, tensor<1x?xi64>) -> tensor<1x4x?x16xf32>
  // CHECK: phi.rotary %{{.*}}, %{{.*}} {rotary_dim = 12 : i64, theta = 1.000000e+04 : f32}
  %qp = phi.rotary %q, %pos {theta = 10000.0 : f32, rotary_dim = 12 : i64} : (tensor<1x4x?x16xf32>, tensor<1x?xi64>) -> tensor<1x4x?x16xf32>
  // CHECK: phi.attention %{{.*}}, %{{.*}}, %{{.*}} past %{{.*}}, %{{.*}} mask %{{.*}} {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32}
  %o, %pk2, %pv2 = phi.attention %qr, %k, %v past %pk, %pv mask %mask {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32}
      : (tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x?xi64>)
      -> (tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
  // CHECK: phi.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = false, num_heads = 4
  %o2, %k2, %v2 = phi.attention %q, %k, %v {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32, causal = false}
      : (tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> (tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
  // CHECK: phi.silu %{{.*}} : tensor<1x?x128xf32>
  %si = phi.silu %m : tensor<1x?x128xf32>
  // CHECK: phi.gated_silu %{{.*}} : (tensor<1x?x128xf32>) -> tensor<1x?x64xf32>
  %g = phi.gated_silu %m : (tensor<1x?x128xf32>) -> tensor<1x?x64xf32>
  return
}

// CHECK-LABEL: func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x3xi1>, %i: tensor<?xi64>) {
  // CHECK: phi.add
  %0 = phi.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.sub
  %1 = phi.sub %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.mul
  %2 = phi.mul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.div
  %3 = phi.div %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.pow
  %4 = phi.pow %a, %i : (tensor<2x3xf32>, tensor<?xi64>) -> tensor<2x3xf32>
  // CHECK: phi.max
  %5 = phi.max %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.min
  %6 = phi.min %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.equal
  %7 = phi.equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: phi.less
  %8 = phi.less %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: phi.greater
  %9 = phi.greater %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: phi.and
  %10 = phi.and %7, %c : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: phi.or
  %11 = phi.or %7, %c : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: phi.not
  %12 = phi.not %11 : (tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: phi.neg
  %13 = phi.neg %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.abs
  %14 = phi.abs %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.sqrt
  %15 = phi.sqrt %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.reciprocal
  %16 = phi.reciprocal %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.exp
  %17 = phi.exp %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.log
  %18 = phi.log %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.cos
  %19 = phi.cos %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.sin
  %20 = phi.sin %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.tanh
  %21 = phi.tanh %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.sigmoid
  %22 = phi.sigmoid %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.where
  %23 = phi.where %c, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: phi.cast %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xf16>
  %24 = phi.cast %a : (tensor<2x3xf32>) -> tensor<2x3xf16>
  // CHECK: phi.add %{{.*}}, %{{.*}} : (tensor<*xf32>, tensor<3xf32>) -> tensor<*xf32>
  %u = phi.cast %a : (tensor<2x3xf32>) -> tensor<*xf32>
  %25 = phi.add %u, %b : (tensor<*xf32>, tensor<3xf32>) -> tensor<*xf32>
  return
}

// CHECK-LABEL: func @shapes
func.func @shapes(%x: tensor<1x?x64xf32>, %s4: tensor<4xi64>, %s3: tensor<3xi64>, %i1: tensor<1xi64>,
                  %ids: tensor<1x?xi64>, %si: tensor<i64>) {
  // CHECK: phi.reduce_mean %{{.*}} {axes = array<i64: -1>} : (tensor<1x?x64xf32>) -> tensor<1x?x1xf32>
  %0 = phi.reduce_mean %x {axes = array<i64: -1>, keepdims = true} : (tensor<1x?x64xf32>) -> tensor<1x?x1xf32>
  // CHECK: phi.reduce_sum %{{.*}} {axes = array<i64: 2>, keepdims = false}
  %1 = phi.reduce_sum %x {axes = array<i64: 2>, keepdims = false} : (tensor<1x?x64xf32>) -> tensor<1x?xf32>
  // CHECK: phi.reduce_max
  %2 = phi.reduce_max %x {axes = array<i64: 0, 2>} : (tensor<1x?x64xf32>) -> tensor<1x?x1xf32>
  // CHECK: phi.softmax %{{.*}} {axis = 2 : i64} : tensor<1x?x64xf32>
  %3 = phi.softmax %x {axis = 2 : i64} : tensor<1x?x64xf32>
  // CHECK: phi.reshape
  %4 = phi.reshape %x, %s4 : (tensor<1x?x64xf32>, tensor<4xi64>) -> tensor<1x?x4x16xf32>
  // CHECK: phi.transpose %{{.*}} {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x4x16xf32>) -> tensor<1x4x?x16xf32>
  %5 = phi.transpose %4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x4x16xf32>) -> tensor<1x4x?x16xf32>
  // CHECK: phi.concat %{{.*}}, %{{.*}} {axis = -1 : i64} : (tensor<1x?x64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x128xf32>
  %6 = phi.concat %x, %x {axis = -1 : i64} : (tensor<1x?x64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x128xf32>
  // CHECK: phi.split %{{.*}} {axis = 2 : i64, sizes = array<i64: 32, 32>}
  %7:2 = phi.split %x {axis = 2 : i64, sizes = array<i64: 32, 32>} : (tensor<1x?x64xf32>) -> (tensor<1x?x32xf32>, tensor<1x?x32xf32>)
  // CHECK: phi.slice %{{.*}}, %{{.*}}, %{{.*}} axes %{{.*}} steps %{{.*}}
  %8 = phi.slice %x, %i1, %i1 axes %i1 steps %i1 : (tensor<1x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x?xf32>
  // CHECK: phi.slice %{{.*}}, %{{.*}}, %{{.*}} :
  %9 = phi.slice %x, %i1, %i1 : (tensor<1x?x64xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x64xf32>
  // CHECK: phi.gather %{{.*}}, %{{.*}} {axis = 1 : i64}
  %10 = phi.gather %x, %ids {axis = 1 : i64} : (tensor<1x?x64xf32>, tensor<1x?xi64>) -> tensor<1x1x?x64xf32>
  // CHECK: phi.expand
  %11 = phi.expand %x, %s3 : (tensor<1x?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  // CHECK: phi.unsqueeze %{{.*}} {axes = array<i64: 1>}
  %12 = phi.unsqueeze %x {axes = array<i64: 1>} : (tensor<1x?x64xf32>) -> tensor<1x1x?x64xf32>
  // CHECK: phi.squeeze %{{.*}} {axes = array<i64: 1>}
  %13 = phi.squeeze %12 {axes = array<i64: 1>} : (tensor<1x1x?x64xf32>) -> tensor<1x?x64xf32>
  // CHECK: phi.shape %{{.*}} {end = 2 : i64, start = 1 : i64} : (tensor<1x?x64xf32>) -> tensor<1xi64>
  %14 = phi.shape %x {start = 1 : i64, end = 2 : i64} : (tensor<1x?x64xf32>) -> tensor<1xi64>
  // CHECK: phi.shape %{{.*}} : (tensor<1x?x64xf32>) -> tensor<3xi64>
  %15 = phi.shape %x : (tensor<1x?x64xf32>) -> tensor<3xi64>
  // CHECK: phi.constant_of_shape %{{.*}} {value = 0.000000e+00 : f32} : (tensor<3xi64>) -> tensor<?x?x?xf32>
  %16 = phi.constant_of_shape %15 {value = 0.0 : f32} : (tensor<3xi64>) -> tensor<?x?x?xf32>
  // CHECK: phi.range
  %17 = phi.range %si, %si, %si : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  // CHECK: phi.trilu %{{.*}} {diagonal = 1 : i64} : tensor<1x?x64xf32>
  %18 = phi.trilu %x {diagonal = 1 : i64} : tensor<1x?x64xf32>
  // CHECK: phi.gather_nd %{{.*}}, %{{.*}} {batch_dims = 1 : i64} : (tensor<1x?x64xf32>, tensor<1x?x1xi64>) -> tensor<1x?x64xf32>
  %idx = phi.unsqueeze %ids {axes = array<i64: 2>} : (tensor<1x?xi64>) -> tensor<1x?x1xi64>
  %19 = phi.gather_nd %x, %idx {batch_dims = 1 : i64} : (tensor<1x?x64xf32>, tensor<1x?x1xi64>) -> tensor<1x?x64xf32>
  // CHECK: phi.flatten %{{.*}} {axis = 2 : i64} : (tensor<1x?x64xf32>) -> tensor<?x64xf32>
  %20 = phi.flatten %x {axis = 2 : i64} : (tensor<1x?x64xf32>) -> tensor<?x64xf32>
  return
}

// CHECK-LABEL: func @quantize
func.func @quantize(%w: tensor<70x8xf32>) {
  // CHECK: phi.quantize_nbits %{{.*}} {bits = 4 : i64, block_size = 32 : i64} : (tensor<70x8xf32>) -> (tensor<8x3x16xui8>, tensor<8x3xf32>)
  %q, %s = phi.quantize_nbits %w {bits = 4 : i64, block_size = 32 : i64} : (tensor<70x8xf32>) -> (tensor<8x3x16xui8>, tensor<8x3xf32>)
  // CHECK: phi.quantize_nbits %{{.*}} {bits = 8 : i64, block_size = 70 : i64, search = true, symmetric = false} : (tensor<70x8xf32>) -> (tensor<8x1x70xui8>, tensor<8x1xf32>, tensor<8x1xui8>)
  %q8, %s8, %z8 = phi.quantize_nbits %w {bits = 8 : i64, block_size = 70 : i64, symmetric = false, search = true} : (tensor<70x8xf32>) -> (tensor<8x1x70xui8>, tensor<8x1xf32>, tensor<8x1xui8>)
  return
}

// CHECK-LABEL: func @dequantize
func.func @dequantize(%q: tensor<96x2x16xui8>, %s: tensor<96x2xf32>, %z: tensor<96x1xui8>) {
  // CHECK: phi.dequantize_nbits %{{.*}}, %{{.*}} {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64} : (tensor<96x2x16xui8>, tensor<96x2xf32>) -> tensor<96x64xf32>
  %d = phi.dequantize_nbits %q, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64} : (tensor<96x2x16xui8>, tensor<96x2xf32>) -> tensor<96x64xf32>
  // CHECK: phi.dequantize_nbits %{{.*}}, %{{.*}} zero_points %{{.*}} {bits = 4
  %dz = phi.dequantize_nbits %q, %s zero_points %z {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64} : (tensor<96x2x16xui8>, tensor<96x2xf32>, tensor<96x1xui8>) -> tensor<96x64xf32>
  return
}
