//===- Passes.td - phi transformation passes ---------------*- tablegen -*-===//
//
// Every phi pass: flag `phi-<name>`, def `Phi<Name>Pass`, file
// `passes/<Name>.cpp`, test `test/Transforms/<name>.mlir`.
//
//===----------------------------------------------------------------------===//

#ifndef PHI_TRANSFORMS_PASSES_TD
#define PHI_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def PhiRaiseRMSNormPass : Pass<"phi-raise-rms-norm"> {
  let summary = "Raise the decomposed RMSNorm of a torch.onnx export to phi.rms_norm";
  let description = [{
    Matches Hugging Face's `Phi3RMSNorm` as torch.onnx writes it,

    ```mlir
    %p = phi.pow %x, %two            // x^2 (possibly after a cast to f32)
    %m = phi.reduce_mean %p {axes = array<i64: -1>, keepdims = true}
    %v = phi.add %m, %eps
    %s = phi.sqrt %v
    %r = phi.reciprocal %s           // or phi.div %one, %s
    %n = phi.mul %x, %r
    %y = phi.mul %w, %n              // either operand order
    ```

    and replaces it with `%y = phi.rms_norm %x, %w {epsilon = eps}`. When `%x`
    is a residual add `%a + %b`, the add is folded in as well:
    `%y, %r = phi.rms_norm %a, %w skip %b`, with `%r` (= a + b) replacing the
    add's other uses, which is onnxruntime's SkipSimplifiedLayerNormalization.
  }];
  let dependentDialects = ["::mlir::phi::PhiDialect"];
}

def PhiRaiseGatedMLPPass : Pass<"phi-raise-gated-mlp"> {
  let summary = "Raise SiLU and the gated MLP of both exporters to phi.silu / phi.gated_silu";
  let description = [{
    `x * sigmoid(x)` becomes `phi.silu`. The Phi-3 MLP activation then has
    one fused form whichever exporter wrote it:

    ```mlir
    // torch.onnx: one gate_up matmul, split in halves
    %gu = phi.matmul %x, %w_gate_up
    %g, %u = phi.split %gu {axis = -1, sizes = [I, I]}
    %h = phi.mul %u, (phi.silu %g)
    // onnxruntime-genai: separate gate and up matmuls (float or MatMulNBits)
    %h = phi.mul (phi.silu (phi.matmul %x, %w_gate)), (phi.matmul %x, %w_up)
    ```

    both become `%h = phi.gated_silu (phi.matmul %x, W)` where W is the fused
    gate_up weight, or `phi.concat %w_gate, %w_up` (a weight expression the
    weight packer folds at compile time; for MatMulNBits the packed codes,
    scales and zero points are concatenated row-wise).
  }];
  let dependentDialects = ["::mlir::phi::PhiDialect"];
}

def PhiRaiseRotaryPass : Pass<"phi-raise-rotary"> {
  let summary = "Raise the rotate-half RoPE / LongRoPE of a torch.onnx export to phi.rotary";
  let description = [{
    Matches Hugging Face's `apply_rotary_pos_emb` with its LongRoPE cos/sin
    computation, as the dynamo exporter writes it:

    ```mlir
    %inv = phi.where (phi.greater (phi.add (phi.reduce_max %pos), 1), T), %long_inv, %short_inv
    %f   = phi.mul (phi.cast (phi.unsqueeze %pos {axes = [2]})), %inv
    %e   = phi.concat %f, %f {axis = -1}
    %cos = phi.unsqueeze (phi.mul (phi.cos %e), %mscale) {axes = [1]}
    %sin = phi.unsqueeze (phi.mul (phi.sin %e), %mscale) {axes = [1]}
    %rot = phi.concat (phi.neg (phi.slice %x [h, 2h])), (phi.slice %x [0, h]) {axis = -1}
    %y   = phi.add (phi.mul %x, %cos), (phi.mul %rot, %sin)
    ```

    and replaces `%y` with `phi.rotary %x, %pos` carrying the short/long
    factors (`1 / (inv_freq[i] * theta^(2i/d))`, theta = 10000 as the
    onnxruntime-genai importer assumes, so both reach identical attributes),
    mscale and `original_max_positions = T`. A constant `%inv` is plain RoPE.
  }];
  let dependentDialects = ["::mlir::phi::PhiDialect"];
}

def PhiRaiseAttentionPass : Pass<"phi-raise-attention"> {
  let summary = "Raise eager scaled-dot-product attention of a torch.onnx export to phi.attention";
  let description = [{
    Matches Hugging Face's eager attention as torch.onnx writes it, with
    `repeat_kv` (Unsqueeze/Expand/Reshape) for grouped-query models:

    ```mlir
    %kt = phi.transpose (repeat_kv %k) {perm = [0, 1, 3, 2]}
    %s  = phi.add (phi.mul (phi.matmul %q, %kt), %scale), %mask
    %o  = phi.matmul (phi.softmax %s {axis = -1}), (repeat_kv %v)
    ```

    where `%mask` is Hugging Face's additive causal + padding mask (a
    `phi.where(%keep, 0, -large)` computed from the graph's `attention_mask`
    input), and replaces `%o` with
    `phi.attention %q, %k, %v mask %attention_mask {causal = true}`.
  }];
  let dependentDialects = ["::mlir::phi::PhiDialect"];
}

def PhiQuantizeInt4Pass : Pass<"phi-quantize-int4", "::mlir::ModuleOp"> {
  let summary = "Grouped INT4 weight quantization of float matmuls (MatMulNBits layout)";
  let description = [{
    Every `phi.matmul` whose right operand is a static 2-D weight expression
    becomes `phi.matmul_nbits` over `phi.quantize_nbits` of that weight:

    ```mlir
    %y = phi.matmul %x, %w : (tensor<1x?x64xf32>, tensor<64x192xf32>) -> tensor<1x?x192xf32>
    // becomes
    %q, %s = phi.quantize_nbits %w {bits = 4 : i64, block_size = 32 : i64}
    %y = phi.matmul_nbits %x, %q, %s {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64, n = 192 : i64}
    ```

    Codes, scales and zero points are bit-identical to onnxruntime's
    MatMulNBitsQuantizer for the same options. `search` picks each group's
    scale (and zero point) by least squared error (better than plain
    round-to-nearest). `lm-head` chooses what the logits matmul becomes
    (`int4`, `int8` per-channel for a mixed-precision recipe, or `float`);
    `exclude` keeps weights whose name contains one of the strings in float.
    `embedding` quantizes the embedding table row-wise: `phi.embedding` then
    reads `phi.dequantize_nbits` of the packed table (a quantized-row lookup,
    onnxruntime's GatherBlockQuantized).
  }];
  let dependentDialects = ["::mlir::phi::PhiDialect"];
  let options = [
    Option<"groupSize", "group-size", "int64_t", "32",
           "Weights per group along K (a power of two, 16 to 256)">,
    Option<"symmetric", "symmetric", "bool", "true",
           "Symmetric (no zero points) or asymmetric quantization">,
    Option<"search", "search", "bool", "false",
           "Search each group's scale for the least squared error">,
    Option<"scaleType", "scale-type", "std::string", "\"f32\"",
           "Scale element type: f32 (5.0 bits/weight at group 32) or f16 (4.5)">,
    Option<"lmHead", "lm-head", "std::string", "\"int4\"",
           "What the matmul producing the logits becomes: int4, int8 or float">,
    Option<"embedding", "embedding", "std::string", "\"float\"",
           "The embedding table: float, int4 (groups along hidden) or int8 (per row)">,
    ListOption<"exclude", "exclude", "std::string",
               "Keep weights whose name contains one of these strings in float">,
    ListOption<"int8", "int8", "std::string",
               "Mixed precision: weights whose name contains one of these strings "
               "(e.g. down_proj) become INT8 per channel">,
  ];
}

def PhiQuantizeInt8Pass : Pass<"phi-quantize-int8", "::mlir::ModuleOp"> {
  let summary = "INT8 weight quantization of float matmuls, per channel or per group";
  let description = [{
    Like `phi-quantize-int4` with 8-bit codes; `group-size=0` (the default)
    quantizes each output channel as one group (per-channel), otherwise
    groups of that many weights along K (a power of two, 16 to 256).
  }];
  let dependentDialects = ["::mlir::phi::PhiDialect"];
  let options = [
    Option<"groupSize", "group-size", "int64_t", "0",
           "Weights per group along K; 0 = per channel">,
    Option<"symmetric", "symmetric", "bool", "true",
           "Symmetric (no zero points) or asymmetric quantization">,
    Option<"search", "search", "bool", "false",
           "Search each group's scale for the least squared error">,
    Option<"lmHead", "lm-head", "std::string", "\"int8\"",
           "What the matmul producing the logits becomes: int8 or float">,
    Option<"embedding", "embedding", "std::string", "\"float\"",
           "The embedding table: float or int8 (per row)">,
    ListOption<"exclude", "exclude", "std::string",
               "Keep weights whose name contains one of these strings in float">,
  ];
}

def PhiCastFP16Pass : Pass<"phi-cast-fp16", "::mlir::func::FuncOp"> {
  let summary = "Run the model in fp16, keeping fp32 where precision demands it";
  let description = [{
    Weights become fp16 (a `phi.cast` weight expression the weight packer
    evaluates, round-to-nearest-even) and every f32 activation becomes f16,
    with this policy for what stays f32:

    - reductions and normalizers: `phi.reduce_mean`, `phi.reduce_sum`,
      `phi.softmax` read f32 (casts around them), and `phi.rms_norm` /
      `phi.attention` accumulate their statistics and softmax in f32 by
      definition;
    - matmul accumulation is f32 (`phi.matmul`, `phi.matmul_nbits` semantics);
    - logits: a matmul whose result is returned produces f32 directly, and
      every returned value keeps the function's declared f32 type;
    - quantization scales stay f32.

    The function signature does not change: f32 arguments are cast to f16 on
    entry.
  }];
  let dependentDialects = ["::mlir::phi::PhiDialect", "::mlir::arith::ArithDialect"];
}

#endif // PHI_TRANSFORMS_PASSES_TD
