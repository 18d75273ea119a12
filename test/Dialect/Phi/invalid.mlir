// RUN: phi-opt %s -split-input-file -verify-diagnostics

func.func @weight_empty_name() {
  // expected-error@+1 {{weight name must not be empty}}
  %0 = phi.weight "" : tensor<4xf32>
  return
}

// -----

func.func @embedding_table_rank(%t: tensor<4xf32>, %i: tensor<2xi64>) {
  // expected-error@+1 {{table must be rank 2 [vocab, hidden]}}
  %0 = phi.embedding %t, %i : (tensor<4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @embedding_elem(%t: tensor<8x4xf32>, %i: tensor<2xi64>) {
  // expected-error@+1 {{result element type must match the table: 'f32' vs 'f16'}}
  %0 = phi.embedding %t, %i : (tensor<8x4xf32>, tensor<2xi64>) -> tensor<2x4xf16>
  return
}

// -----

func.func @embedding_shape(%t: tensor<8x4xf32>, %i: tensor<2xi64>) {
  // expected-error@+1 {{result must have shape ids.shape + [hidden]}}
  %0 = phi.embedding %t, %i : (tensor<8x4xf32>, tensor<2xi64>) -> tensor<2x5xf32>
  return
}

// -----

func.func @rms_norm_eps(%x: tensor<2x4xf32>, %w: tensor<4xf32>) {
  // expected-error@+1 {{epsilon must be positive}}
  %0 = phi.rms_norm %x, %w {epsilon = 0.0 : f32} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @rms_norm_weight_rank(%x: tensor<2x4xf32>, %w: tensor<1x4xf32>) {
  // expected-error@+1 {{weight must be a 1-D tensor}}
  %0 = phi.rms_norm %x, %w : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @rms_norm_weight_size(%x: tensor<2x4xf32>, %w: tensor<8xf32>) {
  // expected-error@+1 {{weight size 8 does not match the normalized dimension 4}}
  %0 = phi.rms_norm %x, %w : (tensor<2x4xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @rms_norm_output(%x: tensor<2x4xf32>, %w: tensor<4xf32>) {
  // expected-error@+1 {{output shape must match the input shape}}
  %0 = phi.rms_norm %x, %w : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @rms_norm_skip(%x: tensor<2x4xf32>, %w: tensor<4xf32>, %s: tensor<3x4xf32>) {
  // expected-error@+1 {{skip shape must match the input shape}}
  %0, %1 = phi.rms_norm %x, %w skip %s : (tensor<2x4xf32>, tensor<4xf32>, tensor<3x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>)
  return
}

// -----

func.func @rms_norm_residual(%x: tensor<2x4xf32>, %w: tensor<4xf32>) {
  // expected-error@+1 {{residual result requires a skip operand}}
  %0, %1 = phi.rms_norm %x, %w : (tensor<2x4xf32>, tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>)
  return
}

// -----

func.func @matmul_elem(%a: tensor<2x4xf32>, %b: tensor<4x3xf16>) {
  // expected-error@+1 {{operand element types differ: 'f32' vs 'f16'}}
  %0 = phi.matmul %a, %b : (tensor<2x4xf32>, tensor<4x3xf16>) -> tensor<2x3xf32>
  return
}

// -----

func.func @matmul_result_elem(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>) {
  // expected-error@+1 {{result element type must match the operands: 'f32' vs 'f16'}}
  %0 = phi.matmul %a, %b : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf16>
  return
}

// -----

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x3xf32>) {
  // expected-error@+1 {{operands must have rank >= 2}}
  %0 = phi.matmul %a, %b : (tensor<4xf32>, tensor<4x3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x4xf32>, %b: tensor<5x3xf32>) {
  // expected-error@+1 {{contracting dimensions differ: lhs has 4, rhs has 5}}
  %0 = phi.matmul %a, %b : (tensor<2x4xf32>, tensor<5x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x2x4xf32>, %b: tensor<3x4x3xf32>) {
  // expected-error@+1 {{batch dimensions are not broadcast-compatible}}
  %0 = phi.matmul %a, %b : (tensor<2x2x4xf32>, tensor<3x4x3xf32>) -> tensor<2x2x3xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>) {
  // expected-error@+1 {{result shape does not match the matmul shape}}
  %0 = phi.matmul %a, %b : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @nbits_bits(%x: tensor<1x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>) {
  // expected-error@+1 {{bits must be 2, 4 or 8, got 3}}
  %0 = phi.matmul_nbits %x, %b, %s {bits = 3 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @nbits_b_shape(%x: tensor<1x64xf32>, %b: tensor<8x2x32xui8>, %s: tensor<16xf32>) {
  // expected-error@+1 {{b must have shape [n, blocks, blob_size] = [8, 2, 16]}}
  %0 = phi.matmul_nbits %x, %b, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x32xui8>, tensor<16xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @nbits_scales(%x: tensor<1x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<8xf32>) {
  // expected-error@+1 {{scales must have n * blocks = 16 elements}}
  %0 = phi.matmul_nbits %x, %b, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x16xui8>, tensor<8xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @nbits_packed_zp(%x: tensor<1x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>, %z: tensor<16xui8>) {
  // expected-error@+1 {{packed zero_points must have 8 elements}}
  %0 = phi.matmul_nbits %x, %b, %s zero_points %z {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>, tensor<16xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @nbits_float_zp(%x: tensor<1x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>, %z: tensor<8xf32>) {
  // expected-error@+1 {{float zero_points must have 16 elements}}
  %0 = phi.matmul_nbits %x, %b, %s zero_points %z {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @nbits_zp_type(%x: tensor<1x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>, %z: tensor<16xi32>) {
  // expected-error@+1 {{zero_points must be ui8 or have the scales' element type}}
  %0 = phi.matmul_nbits %x, %b, %s zero_points %z {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>, tensor<16xi32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @nbits_result_elem(%x: tensor<1x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>) {
  // expected-error@+1 {{result element type must match the input: 'f32' vs 'f16'}}
  %0 = phi.matmul_nbits %x, %b, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>) -> tensor<1x8xf16>
  return
}

// -----

func.func @nbits_k(%x: tensor<1x60xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>) {
  // expected-error@+1 {{input's last dimension must equal k = 64}}
  %0 = phi.matmul_nbits %x, %b, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x60xf32>, tensor<8x2x16xui8>, tensor<16xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @nbits_n(%x: tensor<1x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>) {
  // expected-error@+1 {{result's last dimension must equal n = 8}}
  %0 = phi.matmul_nbits %x, %b, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>) -> tensor<1x9xf32>
  return
}

// -----

func.func @nbits_rank(%x: tensor<1x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>) {
  // expected-error@+1 {{result rank must match the input rank}}
  %0 = phi.matmul_nbits %x, %b, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>) -> tensor<1x1x8xf32>
  return
}

// -----

func.func @nbits_block_size(%x: tensor<1x64xf32>, %b: tensor<8x2x16xui8>, %s: tensor<16xf32>) {
  // expected-error@+1 {{attribute 'block_size' failed to satisfy constraint}}
  %0 = phi.matmul_nbits %x, %b, %s {bits = 4 : i64, block_size = 0 : i64, k = 64 : i64, n = 8 : i64} : (tensor<1x64xf32>, tensor<8x2x16xui8>, tensor<16xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @rotary_theta(%x: tensor<1x4x8x16xf32>, %p: tensor<1x8xi64>) {
  // expected-error@+1 {{theta must be positive}}
  %0 = phi.rotary %x, %p {theta = 0.0 : f32, rotary_dim = 16 : i64} : (tensor<1x4x8x16xf32>, tensor<1x8xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @rotary_odd(%x: tensor<1x4x8x16xf32>, %p: tensor<1x8xi64>) {
  // expected-error@+1 {{rotary_dim must be even}}
  %0 = phi.rotary %x, %p {theta = 10000.0 : f32, rotary_dim = 15 : i64} : (tensor<1x4x8x16xf32>, tensor<1x8xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @rotary_rank(%x: tensor<4x8x16xf32>, %p: tensor<1x8xi64>) {
  // expected-error@+1 {{input must be rank 4 [batch, heads, seq, head_dim]}}
  %0 = phi.rotary %x, %p {theta = 10000.0 : f32, rotary_dim = 16 : i64} : (tensor<4x8x16xf32>, tensor<1x8xi64>) -> tensor<4x8x16xf32>
  return
}

// -----

func.func @rotary_dim(%x: tensor<1x4x8x16xf32>, %p: tensor<1x8xi64>) {
  // expected-error@+1 {{rotary_dim 32 exceeds the head dimension 16}}
  %0 = phi.rotary %x, %p {theta = 10000.0 : f32, rotary_dim = 32 : i64} : (tensor<1x4x8x16xf32>, tensor<1x8xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @rotary_pos(%x: tensor<1x4x8x16xf32>, %p: tensor<8xi64>) {
  // expected-error@+1 {{position_ids must be rank 2 [batch, seq]}}
  %0 = phi.rotary %x, %p {theta = 10000.0 : f32, rotary_dim = 16 : i64} : (tensor<1x4x8x16xf32>, tensor<8xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @rotary_factor_len(%x: tensor<1x4x8x16xf32>, %p: tensor<1x8xi64>) {
  // expected-error@+1 {{short_factor must have rotary_dim / 2 = 8 entries}}
  %0 = phi.rotary %x, %p {theta = 10000.0 : f32, rotary_dim = 16 : i64, short_factor = array<f32: 1.0>} : (tensor<1x4x8x16xf32>, tensor<1x8xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @rotary_long(%x: tensor<1x4x8x16xf32>, %p: tensor<1x8xi64>) {
  // expected-error@+1 {{long_factor requires short_factor and original_max_positions}}
  %0 = phi.rotary %x, %p {theta = 10000.0 : f32, rotary_dim = 4 : i64, long_factor = array<f32: 1.0, 2.0>} : (tensor<1x4x8x16xf32>, tensor<1x8xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @rotary_result(%x: tensor<1x4x8x16xf32>, %p: tensor<1x8xi64>) {
  // expected-error@+1 {{result type must match the input type}}
  %0 = phi.rotary %x, %p {theta = 10000.0 : f32, rotary_dim = 16 : i64} : (tensor<1x4x8x16xf32>, tensor<1x8xi64>) -> tensor<1x4x8x16xf16>
  return
}

// -----

func.func @attention_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x3x8x16xf32>) {
  // expected-error@+1 {{num_heads (4) must be a multiple of num_kv_heads (3)}}
  %0:3 = phi.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 3 : i64, scale = 0.25 : f32} : (tensor<1x4x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>)
  return
}

// -----

func.func @attention_past(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error@+1 {{past_key and past_value must be given together}}
  %0:3 = "phi.attention"(%q, %k, %k, %k) <{num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32, causal = true, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>}> : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
  return
}

// -----

func.func @attention_rank(%q: tensor<4x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error@+1 {{q, k and v must be rank 4 [batch, heads, seq, head_dim]}}
  %0:3 = phi.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32} : (tensor<4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> (tensor<4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
  return
}

// -----

func.func @attention_q_heads(%q: tensor<1x8x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error@+1 {{q has 8 heads but num_heads is 4}}
  %0:3 = phi.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32} : (tensor<1x8x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> (tensor<1x8x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
  return
}

// -----

func.func @attention_kv_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>) {
  // expected-error@+1 {{k and v must have num_kv_heads = 2 heads}}
  %0:3 = phi.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>)
  return
}

// -----

func.func @attention_head_dim(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x8xf32>) {
  // expected-error@+1 {{q, k and v head dimensions differ}}
  %0:3 = phi.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32} : (tensor<1x4x8x16xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>)
  return
}

// -----

func.func @attention_output(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error@+1 {{output shape must match q}}
  %0:3 = phi.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32} : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> (tensor<1x4x9x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
  return
}

// -----

func.func @gated_silu_odd(%x: tensor<2x5xf32>) {
  // expected-error@+1 {{last dimension of the input must be even}}
  %0 = phi.gated_silu %x : (tensor<2x5xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @gated_silu_half(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{result's last dimension must be half the input's}}
  %0 = phi.gated_silu %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @binary_elem(%a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error@+1 {{operand element types differ: 'f32' vs 'f16'}}
  %0 = phi.add %a, %b : (tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return
}

// -----

func.func @binary_result_elem(%a: tensor<2xf32>, %b: tensor<2xf32>) {
  // expected-error@+1 {{result element type must match the operands: 'f32' vs 'f16'}}
  %0 = phi.mul %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf16>
  return
}

// -----

func.func @binary_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error@+1 {{operand shapes are not broadcast-compatible}}
  %0 = phi.sub %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @binary_result_shape(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{result shape does not match the broadcast operand shape}}
  %0 = phi.div %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @compare_elem(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error@+1 {{operand element types differ: 'f32' vs 'i64'}}
  %0 = phi.less %a, %b : (tensor<2xf32>, tensor<2xi64>) -> tensor<2xi1>
  return
}

// -----

func.func @compare_result(%a: tensor<2xf32>, %b: tensor<2xf32>) {
  // expected-error@+1 {{result #0 must be tensor of 1-bit signless integer values}}
  %0 = phi.equal %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @unary_shape(%a: tensor<2xf32>) {
  // expected-error@+1 {{result shape must match the input shape}}
  %0 = phi.sqrt %a : (tensor<2xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @unary_float(%a: tensor<2xi64>) {
  // expected-error@+1 {{operand #0 must be tensor of floating-point values}}
  %0 = phi.exp %a : (tensor<2xi64>) -> tensor<2xi64>
  return
}

// -----

func.func @cast_shape(%a: tensor<2xf32>) {
  // expected-error@+1 {{result shape must match the input shape}}
  %0 = phi.cast %a : (tensor<2xf32>) -> tensor<3xf16>
  return
}

// -----

func.func @where_elem(%c: tensor<2xi1>, %a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error@+1 {{x and y element types differ: 'f32' vs 'f16'}}
  %0 = phi.where %c, %a, %b : (tensor<2xi1>, tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return
}

// -----

func.func @where_result(%c: tensor<2xi1>, %a: tensor<2xf32>) {
  // expected-error@+1 {{result element type must match x and y: 'f32' vs 'f16'}}
  %0 = phi.where %c, %a, %a : (tensor<2xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf16>
  return
}

// -----

func.func @reduce_axis(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = phi.reduce_mean %a {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_unique(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{axes must be unique}}
  %0 = phi.reduce_sum %a {axes = array<i64: 1, -1>} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_rank(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{result rank must be 1}}
  %0 = phi.reduce_max %a {axes = array<i64: 1>, keepdims = false} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{axis -3 is out of range for rank 2}}
  %0 = phi.softmax %a {axis = -3 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @reshape_shape_rank(%a: tensor<6xf32>, %s: tensor<1x2xi64>) {
  // expected-error@+1 {{shape must be a 1-D tensor}}
  %0 = phi.reshape %a, %s : (tensor<6xf32>, tensor<1x2xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reshape_elem(%a: tensor<6xf32>, %s: tensor<2xi64>) {
  // expected-error@+1 {{result element type must match the input: 'f32' vs 'i64'}}
  %0 = phi.reshape %a, %s : (tensor<6xf32>, tensor<2xi64>) -> tensor<2x3xi64>
  return
}

// -----

func.func @reshape_rank(%a: tensor<6xf32>, %s: tensor<3xi64>) {
  // expected-error@+1 {{result rank 2 does not match the shape operand's length 3}}
  %0 = phi.reshape %a, %s : (tensor<6xf32>, tensor<3xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reshape_count(%a: tensor<6xf32>, %s: tensor<2xi64>) {
  // expected-error@+1 {{input has 6 elements but the result has 8}}
  %0 = phi.reshape %a, %s : (tensor<6xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @transpose_perm(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{perm must be a permutation of [0, 2)}}
  %0 = phi.transpose %a {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_shape(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{result shape does not match the permuted input shape}}
  %0 = phi.transpose %a {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error@+1 {{requires at least one input}}
  %0 = phi.concat {axis = 0 : i64} : () -> tensor<2xf32>
  return
}

// -----

func.func @concat_elem(%a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error@+1 {{inputs must have the same element type: 'f32' vs 'f16'}}
  %0 = phi.concat %a, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @concat_result_elem(%a: tensor<2xf32>) {
  // expected-error@+1 {{result element type must match the inputs: 'f32' vs 'f16'}}
  %0 = phi.concat %a, %a {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @concat_rank(%a: tensor<2xf32>, %b: tensor<1x2xf32>) {
  // expected-error@+1 {{inputs and result must have the same rank}}
  %0 = phi.concat %a, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<1x2xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @concat_other_dims(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error@+1 {{input shapes differ outside the concatenation axis}}
  %0 = phi.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_sum(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{result dimension along the axis must be 4}}
  %0 = phi.concat %a, %a {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<5x3xf32>
  return
}

// -----

func.func @split_count(%a: tensor<4xf32>) {
  // expected-error@+1 {{expected 2 results for 2 sizes}}
  %0 = phi.split %a {axis = 0 : i64, sizes = array<i64: 2, 2>} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @split_sum(%a: tensor<4xf32>) {
  // expected-error@+1 {{sizes sum to 5 but the input dimension is 4}}
  %0:2 = phi.split %a {axis = 0 : i64, sizes = array<i64: 2, 3>} : (tensor<4xf32>) -> (tensor<2xf32>, tensor<3xf32>)
  return
}

// -----

func.func @split_results(%a: tensor<4xf32>) {
  // expected-error@+1 {{result shapes must match the split sizes}}
  %0:2 = phi.split %a {axis = 0 : i64, sizes = array<i64: 2, 2>} : (tensor<4xf32>) -> (tensor<2xf32>, tensor<3xf32>)
  return
}

// -----

func.func @slice_bounds(%a: tensor<4xf32>, %s: tensor<1xi64>, %e: tensor<2xi64>) {
  // expected-error@+1 {{starts, ends, axes and steps must be 1-D of equal length}}
  %0 = phi.slice %a, %s, %e : (tensor<4xf32>, tensor<1xi64>, tensor<2xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @slice_elem(%a: tensor<4xf32>, %s: tensor<1xi64>) {
  // expected-error@+1 {{result element type must match the input: 'f32' vs 'f16'}}
  %0 = phi.slice %a, %s, %s : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf16>
  return
}

// -----

func.func @slice_rank(%a: tensor<4xf32>, %s: tensor<1xi64>) {
  // expected-error@+1 {{result rank must match the input rank}}
  %0 = phi.slice %a, %s, %s : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @gather_elem(%a: tensor<4x2xf32>, %i: tensor<3xi64>) {
  // expected-error@+1 {{result element type must match the input: 'f32' vs 'f16'}}
  %0 = phi.gather %a, %i : (tensor<4x2xf32>, tensor<3xi64>) -> tensor<3x2xf16>
  return
}

// -----

func.func @gather_axis(%a: tensor<4x2xf32>, %i: tensor<3xi64>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = phi.gather %a, %i {axis = 2 : i64} : (tensor<4x2xf32>, tensor<3xi64>) -> tensor<3x2xf32>
  return
}

// -----

func.func @gather_rank(%a: tensor<4x2xf32>, %i: tensor<3xi64>) {
  // expected-error@+1 {{result rank must be input rank + indices rank - 1}}
  %0 = phi.gather %a, %i : (tensor<4x2xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @expand_shape(%a: tensor<4xf32>, %s: tensor<1x2xi64>) {
  // expected-error@+1 {{shape must be a 1-D tensor}}
  %0 = phi.expand %a, %s : (tensor<4xf32>, tensor<1x2xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @expand_elem(%a: tensor<4xf32>, %s: tensor<2xi64>) {
  // expected-error@+1 {{result element type must match the input: 'f32' vs 'f16'}}
  %0 = phi.expand %a, %s : (tensor<4xf32>, tensor<2xi64>) -> tensor<?x4xf16>
  return
}

// -----

func.func @expand_rank(%a: tensor<4xf32>, %s: tensor<2xi64>) {
  // expected-error@+1 {{result rank must be max(input rank, shape length)}}
  %0 = phi.expand %a, %s : (tensor<4xf32>, tensor<2xi64>) -> tensor<?x?x4xf32>
  return
}

// -----

func.func @unsqueeze_rank(%a: tensor<4xf32>) {
  // expected-error@+1 {{result rank must be input rank + number of axes}}
  %0 = phi.unsqueeze %a {axes = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @unsqueeze_axes(%a: tensor<4xf32>) {
  // expected-error@+1 {{axis 3 is out of range for rank 2}}
  %0 = phi.unsqueeze %a {axes = array<i64: 3>} : (tensor<4xf32>) -> tensor<1x4xf32>
  return
}

// -----

func.func @squeeze_dim(%a: tensor<2x4xf32>) {
  // expected-error@+1 {{cannot squeeze dimension 0 of size 2}}
  %0 = phi.squeeze %a {axes = array<i64: 0>} : (tensor<2x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @squeeze_rank(%a: tensor<1x4xf32>) {
  // expected-error@+1 {{result rank must be input rank - number of axes}}
  %0 = phi.squeeze %a {axes = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return
}

// -----

func.func @shape_rank(%a: tensor<1x4xf32>) {
  // expected-error@+1 {{result must be a 1-D tensor}}
  %0 = phi.shape %a : (tensor<1x4xf32>) -> tensor<1x2xi64>
  return
}

// -----

func.func @shape_len(%a: tensor<1x4xf32>) {
  // expected-error@+1 {{result length must be 1}}
  %0 = phi.shape %a {start = -1 : i64} : (tensor<1x4xf32>) -> tensor<2xi64>
  return
}

// -----

func.func @cos_shape(%s: tensor<1x2xi64>) {
  // expected-error@+1 {{shape must be a 1-D tensor}}
  %0 = phi.constant_of_shape %s {value = 0.0 : f32} : (tensor<1x2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @cos_value(%s: tensor<2xi64>) {
  // expected-error@+1 {{value type must match the result element type}}
  %0 = phi.constant_of_shape %s {value = 0 : i64} : (tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @cos_rank(%s: tensor<2xi64>) {
  // expected-error@+1 {{result rank must equal the shape operand's length}}
  %0 = phi.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @range_scalar(%a: tensor<1xi64>) {
  // expected-error@+1 {{start, limit and delta must be scalars}}
  %0 = phi.range %a, %a, %a : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @range_elem(%a: tensor<i64>, %b: tensor<i32>) {
  // expected-error@+1 {{operand element types differ: 'i64' vs 'i32'}}
  %0 = phi.range %a, %b, %a : (tensor<i64>, tensor<i32>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @range_result_elem(%a: tensor<i64>) {
  // expected-error@+1 {{result element type must match the operands: 'i64' vs 'f32'}}
  %0 = phi.range %a, %a, %a : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xf32>
  return
}

// -----

func.func @range_result(%a: tensor<i64>) {
  // expected-error@+1 {{result must be a 1-D tensor}}
  %0 = phi.range %a, %a, %a : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?x?xi64>
  return
}

// -----

func.func @trilu_rank(%a: tensor<4xf32>) {
  // expected-error@+1 {{input must have rank >= 2}}
  %0 = phi.trilu %a : tensor<4xf32>
  return
}

// -----

func.func @gather_nd_batch(%a: tensor<4x2xf32>, %i: tensor<3x1xi64>) {
  // expected-error@+1 {{batch_dims must be non-negative}}
  %0 = phi.gather_nd %a, %i {batch_dims = -1 : i64} : (tensor<4x2xf32>, tensor<3x1xi64>) -> tensor<3x2xf32>
  return
}

// -----

func.func @gather_nd_elem(%a: tensor<4x2xf32>, %i: tensor<3x1xi64>) {
  // expected-error@+1 {{result element type must match the input: 'f32' vs 'f16'}}
  %0 = phi.gather_nd %a, %i : (tensor<4x2xf32>, tensor<3x1xi64>) -> tensor<3x2xf16>
  return
}

// -----

func.func @flatten_rank(%a: tensor<4x2x3xf32>) {
  // expected-error@+1 {{result must be rank 2}}
  %0 = phi.flatten %a : (tensor<4x2x3xf32>) -> tensor<24xf32>
  return
}

// -----

func.func @flatten_axis(%a: tensor<4x2x3xf32>) {
  // expected-error@+1 {{axis 4 is out of range for rank 3}}
  %0 = phi.flatten %a {axis = 4 : i64} : (tensor<4x2x3xf32>) -> tensor<24x1xf32>
  return
}

// -----

func.func @quantize_bits(%w: tensor<64x8xf32>) {
  // expected-error@+1 {{bits must be 4 or 8, got 2}}
  %q, %s = phi.quantize_nbits %w {bits = 2 : i64, block_size = 32 : i64} : (tensor<64x8xf32>) -> (tensor<8x2x8xui8>, tensor<8x2xf32>)
  return
}

// -----

func.func @quantize_weight(%w: tensor<?x8xf32>) {
  // expected-error@+1 {{weight must be a static 2-D tensor [K, N]}}
  %q, %s = phi.quantize_nbits %w {bits = 4 : i64, block_size = 32 : i64} : (tensor<?x8xf32>) -> (tensor<8x2x16xui8>, tensor<8x2xf32>)
  return
}

// -----

func.func @quantize_codes(%w: tensor<64x8xf32>) {
  // expected-error@+1 {{codes must have shape [8, 2, 16]}}
  %q, %s = phi.quantize_nbits %w {bits = 4 : i64, block_size = 32 : i64} : (tensor<64x8xf32>) -> (tensor<8x2x32xui8>, tensor<8x2xf32>)
  return
}

// -----

func.func @quantize_scales(%w: tensor<64x8xf32>) {
  // expected-error@+1 {{scales must have shape [8, 2]}}
  %q, %s = phi.quantize_nbits %w {bits = 4 : i64, block_size = 32 : i64} : (tensor<64x8xf32>) -> (tensor<8x2x16xui8>, tensor<16xf32>)
  return
}

// -----

func.func @quantize_zp_missing(%w: tensor<64x8xf32>) {
  // expected-error@+1 {{zero_points must be produced exactly when symmetric is false}}
  %q, %s = phi.quantize_nbits %w {bits = 4 : i64, block_size = 32 : i64, symmetric = false} : (tensor<64x8xf32>) -> (tensor<8x2x16xui8>, tensor<8x2xf32>)
  return
}

// -----

func.func @quantize_zp_shape(%w: tensor<64x8xf32>) {
  // expected-error@+1 {{zero_points must have shape [8, 1]}}
  %q, %s, %z = phi.quantize_nbits %w {bits = 4 : i64, block_size = 32 : i64, symmetric = false} : (tensor<64x8xf32>) -> (tensor<8x2x16xui8>, tensor<8x2xf32>, tensor<8x2xui8>)
  return
}

// -----

func.func @dequantize_bits(%q: tensor<96x2x16xui8>, %s: tensor<96x2xf32>) {
  // expected-error@+1 {{bits must be 4 or 8, got 2}}
  %d = phi.dequantize_nbits %q, %s {bits = 2 : i64, block_size = 32 : i64, k = 64 : i64} : (tensor<96x2x16xui8>, tensor<96x2xf32>) -> tensor<96x64xf32>
  return
}

// -----

func.func @dequantize_codes(%q: tensor<96x3x16xui8>, %s: tensor<96x2xf32>) {
  // expected-error@+1 {{codes must have shape [n, 2, 16]}}
  %d = phi.dequantize_nbits %q, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64} : (tensor<96x3x16xui8>, tensor<96x2xf32>) -> tensor<96x64xf32>
  return
}

// -----

func.func @dequantize_result(%q: tensor<96x2x16xui8>, %s: tensor<96x2xf32>) {
  // expected-error@+1 {{result must have shape [96, 64]}}
  %d = phi.dequantize_nbits %q, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64} : (tensor<96x2x16xui8>, tensor<96x2xf32>) -> tensor<64x96xf32>
  return
}
