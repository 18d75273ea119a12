// RUN: phi-opt %s --phi-raise-attention | FileCheck %s

// Hugging Face eager attention with repeat_kv (4 query heads, 2 KV heads) and
// the additive mask computed from the attention_mask input.
// CHECK-LABEL: func @gqa
// CHECK-SAME: %[[MASK:.*]]: tensor<1x?xi64> {onnx.name = "attention_mask"}, %[[Q:.*]]: tensor<1x4x?x16xf32>, %[[K:.*]]: tensor<1x2x?x16xf32>, %[[V:.*]]: tensor<1x2x?x16xf32>
// CHECK: %[[O:.*]], %{{.*}}, %{{.*}} = phi.attention %[[Q]], %[[K]], %[[V]] mask %[[MASK]] {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32}
// CHECK: return %[[O]]
func.func @gqa(%mask: tensor<1x?xi64> {onnx.name = "attention_mask"}, %q: tensor<1x4x?x16xf32>,
               %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>, %shape5: tensor<5xi64>,
               %shape4: tensor<4xi64>) -> tensor<1x4x?x16xf32> {
  %zero = arith.constant dense<0.0> : tensor<f32>
  %ninf = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %scale = arith.constant dense<0.25> : tensor<f32>
  %b = phi.cast %mask : (tensor<1x?xi64>) -> tensor<1x?xi1>
  %b4 = phi.unsqueeze %b {axes = array<i64: 1, 2>} : (tensor<1x?xi1>) -> tensor<1x1x1x?xi1>
  %m = phi.where %b4, %zero, %ninf : (tensor<1x1x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x1x?xf32>
  %ku = phi.unsqueeze %k {axes = array<i64: 2>} : (tensor<1x2x?x16xf32>) -> tensor<1x2x1x?x16xf32>
  %ke = phi.expand %ku, %shape5 : (tensor<1x2x1x?x16xf32>, tensor<5xi64>) -> tensor<1x2x2x?x16xf32>
  %kr = phi.reshape %ke, %shape4 : (tensor<1x2x2x?x16xf32>, tensor<4xi64>) -> tensor<1x4x?x16xf32>
  %vu = phi.unsqueeze %v {axes = array<i64: 2>} : (tensor<1x2x?x16xf32>) -> tensor<1x2x1x?x16xf32>
  %ve = phi.expand %vu, %shape5 : (tensor<1x2x1x?x16xf32>, tensor<5xi64>) -> tensor<1x2x2x?x16xf32>
  %vr = phi.reshape %ve, %shape4 : (tensor<1x2x2x?x16xf32>, tensor<4xi64>) -> tensor<1x4x?x16xf32>
  %kt = phi.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %s = phi.matmul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %ss = phi.mul %s, %scale : (tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %sm = phi.add %ss, %m : (tensor<1x4x?x?xf32>, tensor<1x1x1x?xf32>) -> tensor<1x4x?x?xf32>
  %p = phi.softmax %sm : tensor<1x4x?x?xf32>
  %o = phi.matmul %p, %vr : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// A mask that does not come from attention_mask is left alone.
// CHECK-LABEL: func @foreign_mask
// CHECK-NOT: phi.attention
func.func @foreign_mask(%c: tensor<1x1x1x?xi1>, %q: tensor<1x4x?x16xf32>, %k: tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32> {
  %zero = arith.constant dense<0.0> : tensor<f32>
  %ninf = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %scale = arith.constant dense<0.25> : tensor<f32>
  %m = phi.where %c, %zero, %ninf : (tensor<1x1x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x1x?xf32>
  %kt = phi.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %s = phi.matmul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %ss = phi.mul %s, %scale : (tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %sm = phi.add %ss, %m : (tensor<1x4x?x?xf32>, tensor<1x1x1x?xf32>) -> tensor<1x4x?x?xf32>
  %p = phi.softmax %sm : tensor<1x4x?x?xf32>
  %o = phi.matmul %p, %k : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}
