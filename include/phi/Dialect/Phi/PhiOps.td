//===- PhiOps.td - phi dialect operations ------------------*- tablegen -*-===//
//
// Two families: fused model-level ops (what the optimizer and code generators
// work on) and plain ONNX-level tensor ops (what the importer maps a
// decomposed torch.onnx export onto before the raising passes run).
// Shapes follow ONNX: ranked or unranked tensors, dynamic dims allowed;
// verifiers check what is statically known.
//
//===----------------------------------------------------------------------===//

#ifndef PHI_OPS_TD
#define PHI_OPS_TD

include "phi/Dialect/Phi/PhiDialect.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Phi_FloatTensor : TensorOf<[AnyFloat]>;
def Phi_IntTensor : TensorOf<[AnySignlessInteger]>;
def Phi_IndexTensor : TensorOf<[I32, I64]>;
def Phi_BoolTensor : TensorOf<[I1]>;
def Phi_Tensor : AnyTypeOf<[AnyTensor]>;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Phi_WeightOp : Phi_Op<"weight", [Pure]> {
  let summary = "a named weight tensor stored outside the IR";
  let description = [{
    Refers to tensor `name` in the weights archive named by the enclosing
    module's `phi.weights` attribute (an ONNX file with inline initializers or
    external data). Weights of a 3.8B-parameter model never live in IR text
    or attributes; code generators stream them from the archive.

    ```mlir
    %w = phi.weight "model.layers.0.mlp.down_proj.weight" : tensor<8192x3072xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused model-level ops
//===----------------------------------------------------------------------===//

def Phi_EmbeddingOp : Phi_Op<"embedding", [Pure]> {
  let summary = "token embedding lookup";
  let description = [{
    Gathers rows of `table` [vocab, hidden] for every id in `ids`; the result
    has shape `ids.shape + [hidden]`.

    ```mlir
    %h = phi.embedding %table, %ids : (tensor<32064x3072xf32>, tensor<1x?xi64>) -> tensor<1x?x3072xf32>
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$table, Phi_IndexTensor:$ids);
  let results = (outs Phi_FloatTensor:$result);
  let assemblyFormat =
      "$table `,` $ids attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_RMSNormOp : Phi_Op<"rms_norm", [Pure]> {
  let summary = "RMS normalization, optionally fused with a residual add";
  let description = [{
    `y = x / sqrt(mean(x^2, -1) + epsilon) * weight` over the last axis.
    With `skip`, `x + skip` is normalized and also returned as `residual`
    (onnxruntime's SkipSimplifiedLayerNormalization). Statistics are always
    accumulated in f32.

    ```mlir
    %y = phi.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<1x?x3072xf32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
    %y2, %r = phi.rms_norm %x, %w skip %s {epsilon = 1.0e-05 : f32}
        : (tensor<1x?x3072xf32>, tensor<3072xf32>, tensor<1x?x3072xf32>) -> (tensor<1x?x3072xf32>, tensor<1x?x3072xf32>)
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$input, Phi_FloatTensor:$weight,
                       Optional<Phi_FloatTensor>:$skip,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs Phi_FloatTensor:$output,
                      Optional<Phi_FloatTensor>:$residual);
  let assemblyFormat = [{
    $input `,` $weight (`skip` $skip^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Phi_MatMulOp : Phi_Op<"matmul", [Pure]> {
  let summary = "float matrix multiplication with ONNX MatMul semantics";
  let description = [{
    `lhs` [..., M, K] times `rhs` [..., K, N] with numpy batch broadcasting.
    Weights are stored [K, N] as in ONNX. Products accumulate in f32; with
    f16/bf16 operands the result may be f32 (logits under the fp16 policy).

    ```mlir
    %y = phi.matmul %x, %w : (tensor<1x?x3072xf32>, tensor<3072x9216xf32>) -> tensor<1x?x9216xf32>
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$lhs, Phi_FloatTensor:$rhs);
  let results = (outs Phi_FloatTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_MatMulNBitsOp : Phi_Op<"matmul_nbits", [Pure]> {
  let summary = "matmul with a block-quantized weight (MatMulNBits layout)";
  let description = [{
    `y = a @ dequant(b)^T` where `b` holds `n` rows of `k` quantized codes of
    `bits` bits, grouped along K in blocks of `block_size`:
    - `b`: ui8 `[n, ceil(k / block_size), block_size * bits / 8]`; for 4 bits
      element 2j sits in the low nibble and 2j+1 in the high nibble;
    - `scales`: `[n * ceil(k / block_size)]`, f32 or f16, row-major;
    - `zero_points` (optional): ui8 packed like `b` (`[n * ceil(ceil(k /
      block_size) * bits / 8)]`) or a float tensor shaped like `scales`;
      absent means `2^(bits-1)` (symmetric).
    Per-channel quantization is `block_size = k`. The last block of a row is
    zero-padded when `k` is not a multiple of `block_size`.

    ```mlir
    %y = phi.matmul_nbits %x, %b, %s {bits = 4 : i64, block_size = 32 : i64, k = 3072 : i64, n = 9216 : i64}
        : (tensor<1x?x3072xf32>, tensor<9216x96x16xui8>, tensor<884736xf32>) -> tensor<1x?x9216xf32>
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$input, TensorOf<[UI8, I8]>:$b,
                       Phi_FloatTensor:$scales,
                       Optional<AnyTensor>:$zero_points,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$bits,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$block_size,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$k,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$n);
  let results = (outs Phi_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $b `,` $scales (`zero_points` $zero_points^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of quantization blocks along K per output row.
    int64_t getNumBlocks() { return (getK() + getBlockSize() - 1) / getBlockSize(); }
    /// Bytes of packed codes per block.
    int64_t getBlobSize() { return (getBlockSize() * getBits() + 7) / 8; }
  }];
}

def Phi_RotaryOp : Phi_Op<"rotary", [Pure]> {
  let summary = "rotary position embedding, including Phi-3.5's LongRoPE";
  let description = [{
    Rotates the first `rotary_dim` channels of `input` [B, H, S, D] by the
    angles `position * inv_freq[i]`, rotate-half style (channel i pairs with
    i + rotary_dim/2), with `inv_freq[i] = 1 / (factor[i] * theta^(2i/rotary_dim))`
    and cos/sin multiplied by `mscale`.

    LongRoPE: with `long_factor`, the long factors are used when
    `max(position_ids) + 1 > original_max_positions`, the short ones otherwise,
    decided per call exactly as Hugging Face's Phi-3 code does. Without
    factors, plain RoPE (`factor[i] = 1`).

    ```mlir
    %q2 = phi.rotary %q, %pos {theta = 10000.0 : f32, rotary_dim = 96 : i64, mscale = 1.1902381 : f32,
                               short_factor = array<f32: ...>, long_factor = array<f32: ...>,
                               original_max_positions = 4096 : i64}
        : (tensor<1x32x?x96xf32>, tensor<1x?xi64>) -> tensor<1x32x?x96xf32>
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$input, Phi_IndexTensor:$position_ids,
                       F32Attr:$theta,
                       ConfinedAttr<I64Attr, [IntMinValue<2>]>:$rotary_dim,
                       DefaultValuedAttr<F32Attr, "1.0">:$mscale,
                       OptionalAttr<DenseF32ArrayAttr>:$short_factor,
                       OptionalAttr<DenseF32ArrayAttr>:$long_factor,
                       OptionalAttr<I64Attr>:$original_max_positions);
  let results = (outs Phi_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $position_ids attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_AttentionOp : Phi_Op<"attention", [Pure, AttrSizedOperandSegments]> {
  let summary = "grouped-query scaled dot-product attention with a KV cache";
  let description = [{
    `q` [B, num_heads, S, D], `k`/`v` [B, num_kv_heads, S, D]. With a cache,
    `past_key`/`past_value` [B, num_kv_heads, P, D] are prepended and the
    results `present_key`/`present_value` [B, num_kv_heads, P + S, D] return
    the updated cache. Query head h reads KV head `h / (num_heads /
    num_kv_heads)`. `causal` masks key positions after the query's absolute
    position; `mask` ([B, P + S], 1 = attend) masks padding. Softmax runs in
    f32. The result is [B, num_heads, S, D].

    ```mlir
    %o, %pk, %pv = phi.attention %q, %k, %v past %pk0, %pv0 {num_heads = 32 : i64, num_kv_heads = 32 : i64, scale = 0.102062 : f32, causal = true}
        : (tensor<1x32x1x96xf32>, tensor<1x32x1x96xf32>, tensor<1x32x1x96xf32>, tensor<1x32x?x96xf32>, tensor<1x32x?x96xf32>)
        -> (tensor<1x32x1x96xf32>, tensor<1x32x?x96xf32>, tensor<1x32x?x96xf32>)
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$q, Phi_FloatTensor:$k, Phi_FloatTensor:$v,
                       Optional<Phi_FloatTensor>:$past_key,
                       Optional<Phi_FloatTensor>:$past_value,
                       Optional<Phi_IntTensor>:$mask,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$num_kv_heads,
                       F32Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "true">:$causal);
  let results = (outs Phi_FloatTensor:$output, Phi_FloatTensor:$present_key,
                      Phi_FloatTensor:$present_value);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`past` $past_key^ `,` $past_value)? (`mask` $mask^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Phi_SiluOp : Phi_Op<"silu", [Pure, SameOperandsAndResultType]> {
  let summary = "x * sigmoid(x)";
  let description = [{
    ```mlir
    %y = phi.silu %x : tensor<1x?x8192xf32>
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$input);
  let results = (outs Phi_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Phi_GatedSiluOp : Phi_Op<"gated_silu", [Pure]> {
  let summary = "the gated-MLP activation: silu(first half) * second half";
  let description = [{
    Phi-3 stores gate and up projections fused (`gate_up_proj`); this op
    splits the last axis of `input` [..., 2I] into gate [..., :I] and up
    [..., I:] and returns `up * silu(gate)` [..., I].

    ```mlir
    %h = phi.gated_silu %gu : (tensor<1x?x16384xf32>) -> tensor<1x?x8192xf32>
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$input);
  let results = (outs Phi_FloatTensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Plain ONNX-level ops: elementwise with numpy broadcasting
//===----------------------------------------------------------------------===//

class Phi_BinaryOp<string mnemonic, string onnx, Type operandType,
                   Type resultType, list<Trait> traits = []>
    : Phi_Op<mnemonic, !listconcat([Pure], traits)> {
  let summary = "elementwise " # onnx # " with numpy broadcasting";
  let description = [{
    The ONNX `}] # onnx # [{` op. Operands broadcast numpy-style.

    ```mlir
    %r = phi.}] # mnemonic # [{ %a, %b : (tensor<2x3xT>, tensor<3xT>) -> tensor<2x3xT>
    ```
  }];
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs resultType:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_AddOp : Phi_BinaryOp<"add", "Add", AnyTensor, AnyTensor, [Commutative]>;
def Phi_SubOp : Phi_BinaryOp<"sub", "Sub", AnyTensor, AnyTensor>;
def Phi_MulOp : Phi_BinaryOp<"mul", "Mul", AnyTensor, AnyTensor, [Commutative]>;
def Phi_DivOp : Phi_BinaryOp<"div", "Div", AnyTensor, AnyTensor>;
def Phi_PowOp : Phi_BinaryOp<"pow", "Pow", AnyTensor, AnyTensor>;
def Phi_MaxOp : Phi_BinaryOp<"max", "Max", AnyTensor, AnyTensor, [Commutative]>;
def Phi_MinOp : Phi_BinaryOp<"min", "Min", AnyTensor, AnyTensor, [Commutative]>;
def Phi_EqualOp : Phi_BinaryOp<"equal", "Equal", AnyTensor, Phi_BoolTensor>;
def Phi_LessOp : Phi_BinaryOp<"less", "Less", AnyTensor, Phi_BoolTensor>;
def Phi_GreaterOp : Phi_BinaryOp<"greater", "Greater", AnyTensor, Phi_BoolTensor>;
def Phi_AndOp : Phi_BinaryOp<"and", "And", Phi_BoolTensor, Phi_BoolTensor>;
def Phi_OrOp : Phi_BinaryOp<"or", "Or", Phi_BoolTensor, Phi_BoolTensor>;

class Phi_UnaryOp<string mnemonic, string onnx, Type type>
    : Phi_Op<mnemonic, [Pure, SameOperandsAndResultElementType]> {
  let summary = "elementwise " # onnx;
  let description = [{
    The ONNX `}] # onnx # [{` op.

    ```mlir
    %r = phi.}] # mnemonic # [{ %a : (tensor<2x3xT>) -> tensor<2x3xT>
    ```
  }];
  let arguments = (ins type:$input);
  let results = (outs type:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_NegOp : Phi_UnaryOp<"neg", "Neg", AnyTensor>;
def Phi_AbsOp : Phi_UnaryOp<"abs", "Abs", AnyTensor>;
def Phi_SqrtOp : Phi_UnaryOp<"sqrt", "Sqrt", Phi_FloatTensor>;
def Phi_ReciprocalOp : Phi_UnaryOp<"reciprocal", "Reciprocal", Phi_FloatTensor>;
def Phi_ExpOp : Phi_UnaryOp<"exp", "Exp", Phi_FloatTensor>;
def Phi_LogOp : Phi_UnaryOp<"log", "Log", Phi_FloatTensor>;
def Phi_CosOp : Phi_UnaryOp<"cos", "Cos", Phi_FloatTensor>;
def Phi_SinOp : Phi_UnaryOp<"sin", "Sin", Phi_FloatTensor>;
def Phi_TanhOp : Phi_UnaryOp<"tanh", "Tanh", Phi_FloatTensor>;
def Phi_SigmoidOp : Phi_UnaryOp<"sigmoid", "Sigmoid", Phi_FloatTensor>;
def Phi_NotOp : Phi_UnaryOp<"not", "Not", Phi_BoolTensor>;

def Phi_WhereOp : Phi_Op<"where", [Pure]> {
  let summary = "elementwise select with numpy broadcasting";
  let description = [{
    ```mlir
    %r = phi.where %c, %a, %b : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32>
    ```
  }];
  let arguments = (ins Phi_BoolTensor:$condition, AnyTensor:$x, AnyTensor:$y);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$condition `,` $x `,` $y attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_CastOp : Phi_Op<"cast", [Pure]> {
  let summary = "element type conversion (ONNX Cast)";
  let description = [{
    Converts each element to the result's element type; shapes must agree.

    ```mlir
    %r = phi.cast %a : (tensor<?xi64>) -> tensor<?xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Plain ONNX-level ops: reductions, softmax
//===----------------------------------------------------------------------===//

class Phi_ReduceOp<string mnemonic, string onnx>
    : Phi_Op<mnemonic, [Pure, SameOperandsAndResultElementType]> {
  let summary = onnx # " over `axes`";
  let description = [{
    The ONNX `}] # onnx # [{` op with constant axes (negative axes count from
    the end); `keepdims` keeps reduced axes as size 1.

    ```mlir
    %r = phi.}] # mnemonic # [{ %a {axes = array<i64: -1>, keepdims = true} : (tensor<2x3xf32>) -> tensor<2x1xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_ReduceMeanOp : Phi_ReduceOp<"reduce_mean", "ReduceMean">;
def Phi_ReduceSumOp : Phi_ReduceOp<"reduce_sum", "ReduceSum">;
def Phi_ReduceMaxOp : Phi_ReduceOp<"reduce_max", "ReduceMax">;

def Phi_SoftmaxOp : Phi_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along one axis (ONNX Softmax, opset >= 13)";
  let description = [{
    ```mlir
    %p = phi.softmax %s {axis = -1 : i64} : tensor<1x32x?x?xf32>
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Phi_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Plain ONNX-level ops: data movement and shapes
//===----------------------------------------------------------------------===//

def Phi_ReshapeOp : Phi_Op<"reshape", [Pure]> {
  let summary = "reshape to a shape given as a 1-D i64 tensor (ONNX Reshape)";
  let description = [{
    `0` copies the input dimension, `-1` is inferred (`allowzero = 0`).

    ```mlir
    %r = phi.reshape %a, %shape : (tensor<1x?x3072xf32>, tensor<4xi64>) -> tensor<1x?x32x96xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, TensorOf<[I64]>:$shape);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_TransposeOp : Phi_Op<"transpose", [Pure, SameOperandsAndResultElementType]> {
  let summary = "permute dimensions (ONNX Transpose)";
  let description = [{
    ```mlir
    %r = phi.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x32x96xf32>) -> tensor<1x32x?x96xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_ConcatOp : Phi_Op<"concat", [Pure]> {
  let summary = "concatenate along an axis (ONNX Concat)";
  let description = [{
    ```mlir
    %r = phi.concat %a, %b {axis = -1 : i64} : (tensor<1x?x48xf32>, tensor<1x?x48xf32>) -> tensor<1x?x96xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_SplitOp : Phi_Op<"split", [Pure]> {
  let summary = "split along an axis into the result sizes (ONNX Split)";
  let description = [{
    ```mlir
    %a, %b = phi.split %x {axis = -1 : i64, sizes = array<i64: 8192, 8192>} : (tensor<1x?x16384xf32>) -> (tensor<1x?x8192xf32>, tensor<1x?x8192xf32>)
    ```
  }];
  let arguments = (ins AnyTensor:$input, I64Attr:$axis, DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<AnyTensor>:$results);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_SliceOp : Phi_Op<"slice", [Pure, AttrSizedOperandSegments]> {
  let summary = "strided slice with tensor bounds (ONNX Slice, opset >= 10)";
  let description = [{
    `starts`, `ends` and the optional `axes` and `steps` are 1-D integer
    tensors of equal length, with ONNX's clamping of out-of-range bounds.

    ```mlir
    %r = phi.slice %x, %starts, %ends axes %axes : (tensor<1x?x96xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x48xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, Phi_IndexTensor:$starts,
                       Phi_IndexTensor:$ends, Optional<Phi_IndexTensor>:$axes,
                       Optional<Phi_IndexTensor>:$steps);
  let results = (outs AnyTensor:$result);
  let assemblyFormat = [{
    $input `,` $starts `,` $ends (`axes` $axes^)? (`steps` $steps^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Phi_GatherOp : Phi_Op<"gather", [Pure]> {
  let summary = "gather slices along an axis (ONNX Gather)";
  let description = [{
    Result shape: `input.shape[:axis] + indices.shape + input.shape[axis+1:]`.

    ```mlir
    %r = phi.gather %table, %ids {axis = 0 : i64} : (tensor<32064x3072xf32>, tensor<1x?xi64>) -> tensor<1x?x3072xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, Phi_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_ExpandOp : Phi_Op<"expand", [Pure]> {
  let summary = "broadcast to a shape given as a tensor (ONNX Expand)";
  let description = [{
    ```mlir
    %r = phi.expand %x, %shape : (tensor<1x1x?xf32>, tensor<3xi64>) -> tensor<1x?x?xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, TensorOf<[I64]>:$shape);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_UnsqueezeOp : Phi_Op<"unsqueeze", [Pure, SameOperandsAndResultElementType]> {
  let summary = "insert size-1 axes (ONNX Unsqueeze)";
  let description = [{
    ```mlir
    %r = phi.unsqueeze %x {axes = array<i64: 1>} : (tensor<?x96xf32>) -> tensor<?x1x96xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_SqueezeOp : Phi_Op<"squeeze", [Pure, SameOperandsAndResultElementType]> {
  let summary = "remove size-1 axes (ONNX Squeeze)";
  let description = [{
    ```mlir
    %r = phi.squeeze %x {axes = array<i64: 1>} : (tensor<?x1x96xf32>) -> tensor<?x96xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_ShapeOp : Phi_Op<"shape", [Pure]> {
  let summary = "the shape of a tensor as a 1-D i64 tensor (ONNX Shape)";
  let description = [{
    Dimensions `[start, end)` (ONNX opset 15 semantics, negative values count
    from the end; `end` absent means the rank).

    ```mlir
    %s = phi.shape %x {start = 1 : i64, end = 2 : i64} : (tensor<1x?x3072xf32>) -> tensor<1xi64>
    ```
  }];
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<I64Attr, "0">:$start,
                       OptionalAttr<I64Attr>:$end);
  let results = (outs TensorOf<[I64]>:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_ConstantOfShapeOp : Phi_Op<"constant_of_shape", [Pure]> {
  let summary = "a tensor of a runtime shape filled with one value";
  let description = [{
    ```mlir
    %z = phi.constant_of_shape %shape {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins TensorOf<[I64]>:$shape, TypedAttrInterface:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat =
      "$shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_RangeOp : Phi_Op<"range", [Pure]> {
  let summary = "1-D arithmetic sequence from scalar tensors (ONNX Range)";
  let description = [{
    ```mlir
    %r = phi.range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins AnyTensor:$start, AnyTensor:$limit, AnyTensor:$delta);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_TriluOp : Phi_Op<"trilu", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "upper or lower triangle of the last two axes (ONNX Trilu)";
  let description = [{
    ```mlir
    %r = phi.trilu %x {upper = true, diagonal = 1 : i64} : tensor<?x?xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<BoolAttr, "true">:$upper,
                       DefaultValuedAttr<I64Attr, "0">:$diagonal);
  let results = (outs AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Phi_GatherNDOp : Phi_Op<"gather_nd", [Pure]> {
  let summary = "gather slices by index tuples (ONNX GatherND)";
  let description = [{
    The last axis of `indices` holds index tuples into `input`; the first
    `batch_dims` axes of both are batch axes.

    ```mlir
    %r = phi.gather_nd %m, %idx : (tensor<1x?xi1>, tensor<1x?x?x2xi64>) -> tensor<1x?x?xi1>
    ```
  }];
  let arguments = (ins AnyTensor:$input, TensorOf<[I64]>:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_FlattenOp : Phi_Op<"flatten", [Pure, SameOperandsAndResultElementType]> {
  let summary = "flatten to 2-D around an axis (ONNX Flatten)";
  let description = [{
    ```mlir
    %r = phi.flatten %x {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs AnyTensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_QuantizeNBitsOp : Phi_Op<"quantize_nbits", [Pure]> {
  let summary = "block-quantize a [K, N] weight into MatMulNBits codes, scales and zero points";
  let description = [{
    A weight expression: `weight` ([K, N], ONNX MatMul's B) becomes the
    operands `phi.matmul_nbits` takes: `codes` ui8 [N, blocks, blob], `scales`
    [N, blocks] and, when `symmetric` is false, packed `zero_points` ui8
    [N, ceil(blocks * bits / 8)]. The weight packer evaluates it when an
    artifact is written (the rules are onnxruntime's, bit for bit; see
    include/phi/Quant/BlockQuant.h); `search` picks each block's scale by
    least squared error instead of min/max rounding.

    ```mlir
    %q, %s = phi.quantize_nbits %w {bits = 4 : i64, block_size = 32 : i64}
        : (tensor<3072x9216xf32>) -> (tensor<9216x96x16xui8>, tensor<9216x96xf32>)
    ```
  }];
  let arguments = (ins Phi_FloatTensor:$weight,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$bits,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$block_size,
                       DefaultValuedAttr<BoolAttr, "true">:$symmetric,
                       DefaultValuedAttr<BoolAttr, "false">:$search);
  let results = (outs TensorOf<[UI8]>:$codes, Phi_FloatTensor:$scales,
                      Optional<TensorOf<[UI8]>>:$zero_points);
  let assemblyFormat =
      "$weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Phi_DequantizeNBitsOp : Phi_Op<"dequantize_nbits", [Pure]> {
  let summary = "the float [N, K] matrix a MatMulNBits-layout weight stands for";
  let description = [{
    Inverse of `phi.quantize_nbits`, row-major [N, K]: `(code - zp) * scale`
    with zp = 2^(bits-1) when `zero_points` is absent. Used for quantized
    embedding tables (`phi.embedding` of a dequantized table is a lookup of
    quantized rows; onnxruntime's GatherBlockQuantized).

    ```mlir
    %t = phi.dequantize_nbits %q, %s {bits = 4 : i64, block_size = 32 : i64, k = 3072 : i64}
        : (tensor<32064x96x16xui8>, tensor<32064x96xf32>) -> tensor<32064x3072xf32>
    ```
  }];
  let arguments = (ins TensorOf<[UI8]>:$codes, Phi_FloatTensor:$scales,
                       Optional<TensorOf<[UI8]>>:$zero_points,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$bits,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$block_size,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$k);
  let results = (outs Phi_FloatTensor:$result);
  let assemblyFormat = [{
    $codes `,` $scales (`zero_points` $zero_points^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // PHI_OPS_TD
