// RUN: phi-opt --load-pass-plugin=%plugin --pass-pipeline='builtin.module(func.func(phi-example-weight-bytes))' %s 2>&1 | FileCheck %s

// A float weight [64, 128] f32 streams 64*128*4 bytes; an int4 one with
// block 32 streams codes (128*2*16 = 4096) + f32 scales (256*4 = 1024) + zero
// points (128): 5248.
// The activation-by-activation matmul (attention scores) reads no weight.
// CHECK: remark: 2 matmuls read 38016 bytes of weights per token
func.func @main(%x: tensor<1x?x64xf32>, %y: tensor<1x64x?xf32>) -> (tensor<1x?x128xf32>, tensor<1x?x128xf32>, tensor<1x?x?xf32>) {
  %w = phi.weight "dense" : tensor<64x128xf32>
  // CHECK: phi.matmul {{.*}} {example.weight_bytes = 32768 : i64}
  %a = phi.matmul %x, %w : (tensor<1x?x64xf32>, tensor<64x128xf32>) -> tensor<1x?x128xf32>
  %b = phi.weight "q" : tensor<128x2x16xui8>
  %s = phi.weight "q.scales" : tensor<256xf32>
  %zp = phi.weight "q.zp" : tensor<128xui8>
  // CHECK: phi.matmul_nbits {{.*}}example.weight_bytes = 5248 : i64
  %c = phi.matmul_nbits %x, %b, %s zero_points %zp {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 128 : i64} : (tensor<1x?x64xf32>, tensor<128x2x16xui8>, tensor<256xf32>, tensor<128xui8>) -> tensor<1x?x128xf32>
  // CHECK: phi.matmul %{{.*}}, %{{.*}} : (tensor<1x?x64xf32>, tensor<1x64x?xf32>)
  %d = phi.matmul %x, %y : (tensor<1x?x64xf32>, tensor<1x64x?xf32>) -> tensor<1x?x?xf32>
  return %a, %c, %d : tensor<1x?x128xf32>, tensor<1x?x128xf32>, tensor<1x?x?xf32>
}
