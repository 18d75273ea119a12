//===- PhiDialect.td - the phi dialect ---------------------*- tablegen -*-===//
//
// The `phi` dialect models the Phi-3 decoder at the level compiler researchers
// think in (RMSNorm, LongRoPE rotary, grouped-query attention, gated MLP,
// quantized matmul), plus the plain tensor ops a torch.onnx export contains so
// the ONNX importer can map every node 1:1 where no fused op fits.
//
//===----------------------------------------------------------------------===//

#ifndef PHI_DIALECT_TD
#define PHI_DIALECT_TD

include "mlir/IR/OpBase.td"

def Phi_Dialect : Dialect {
  let name = "phi";
  let cppNamespace = "::mlir::phi";
  let summary = "Graph-level ops for the Phi-3.5 family of language models";
  let description = [{
    Ops model the Phi-3 decoder: `phi.embedding`, `phi.rms_norm` (with the
    optional skip/residual of SkipSimplifiedLayerNormalization), `phi.matmul`,
    `phi.matmul_nbits` (quantized, MatMulNBits layout), `phi.rotary`
    (LongRoPE), `phi.attention` (grouped-query, causal, KV cache),
    `phi.silu`/`phi.gated_silu`, and the plain ONNX-level tensor ops.

    Quantized weights are ordinary tensors plus scales (and zero points),
    carried by `phi.matmul_nbits`. Upstream `!quant.uniform` types put every
    scale inside the type; a Phi-3.5-mini matrix has ~786k scales, which does
    not scale as a type, and none of IREE, onnx-mlir or torch-mlir use such
    types on their main path.

    Weights never live inline at full size: `phi.weight` names a tensor in an
    external archive (ONNX external data or the ONNX file itself) recorded in
    the module's `phi.weights` attribute.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

class Phi_Op<string mnemonic, list<Trait> traits = []>
    : Op<Phi_Dialect, mnemonic, traits>;

#endif // PHI_DIALECT_TD
