// Hugging Face's Phi3RMSNorm as torch.onnx writes it, imported 1:1.
func.func @rms_norm(%x: tensor<1x?x64xf32>, %w: tensor<64xf32>) -> tensor<1x?x64xf32> {
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
