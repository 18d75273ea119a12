//===- QuantizeCommon.cpp - matmul -> matmul_nbits over quantize_nbits ----===//
#include "QuantizeCommon.h"

#include "phi/Weights/Weights.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::phi;

/// True if `v` reaches a func.return through casts and reshapes only (the
/// logits of the model).
static bool feedsReturn(Value v) {
  for (Operation *user : v.getUsers()) {
    if (isa<func::ReturnOp>(user))
      return true;
    if (isa<CastOp, ReshapeOp>(user) && feedsReturn(user->getResult(0)))
      return true;
  }
  return false;
}

LogicalResult mlir::phi::quantizeMatmuls(ModuleOp module,
                                         const MatmulQuantOptions &o) {
  SmallVector<MatMulOp> todo;
  module.walk([&](MatMulOp mm) { todo.push_back(mm); });
  for (MatMulOp mm : todo) {
    Value w = mm.getRhs();
    auto wt = dyn_cast<RankedTensorType>(w.getType());
    if (!wt || wt.getRank() != 2 || !wt.hasStaticShape() ||
        !wt.getElementType().isF32() ||
        !WeightEvaluator::isWeightExpression(w))
      continue;
    std::string name = WeightEvaluator::nameOf(w);
    auto named = [&](const std::vector<std::string> &patterns) {
      return llvm::any_of(patterns, [&](const std::string &s) {
        return !s.empty() && name.find(s) != std::string::npos;
      });
    };
    if (named(o.exclude))
      continue;
    int bits = o.bits;
    int64_t group = o.groupSize;
    if (bits != 8 && named(o.int8Names)) {
      bits = 8;
      group = 0; // mixed-precision tensors are per channel, as the lm_head
    }
    if (feedsReturn(mm.getResult())) {
      if (o.lmHeadBits == 0)
        continue;
      if (o.lmHeadBits != bits) {
        bits = o.lmHeadBits;
        group = 0; // the mixed-precision lm_head is per channel
      }
    }
    int64_t k = wt.getDimSize(0), n = wt.getDimSize(1);
    int64_t block = group == 0 ? k : group;
    int64_t blocks = (k + block - 1) / block, blob = (block * bits + 7) / 8;
    OpBuilder b(mm);
    Location loc = mm.getLoc();
    auto ui8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
    SmallVector<Type> types = {RankedTensorType::get({n, blocks, blob}, ui8),
                               RankedTensorType::get({n, blocks}, o.halfScales ? b.getF16Type() : b.getF32Type())};
    if (!o.symmetric)
      types.push_back(RankedTensorType::get({n, (blocks * bits + 7) / 8}, ui8));
    auto q = QuantizeNBitsOp::create(b, loc, types, w, bits, block, o.symmetric,
                                     o.search);
    auto nb = MatMulNBitsOp::create(b, loc, mm.getType(), mm.getLhs(),
                                    q.getCodes(), q.getScales(), q.getZeroPoints(),
                                    bits, block, k, n);
    mm.replaceAllUsesWith(nb.getResult());
    mm.erase();
  }
  if (o.embeddingBits) {
    SmallVector<EmbeddingOp> tables;
    module.walk([&](EmbeddingOp e) { tables.push_back(e); });
    for (EmbeddingOp e : tables) {
      Value table = e.getTable();
      auto tt = dyn_cast<RankedTensorType>(table.getType());
      if (!tt || tt.getRank() != 2 || !tt.hasStaticShape() ||
          !tt.getElementType().isF32() ||
          !WeightEvaluator::isWeightExpression(table))
        continue;
      int bits = o.embeddingBits;
      int64_t v = tt.getDimSize(0), h = tt.getDimSize(1);
      // Rows are quantized in groups along hidden: quantize_nbits groups
      // along K, so it reads the transposed [hidden, vocab] table.
      int64_t block = (bits == 8 || o.groupSize == 0) ? h : o.groupSize;
      int64_t blocks = (h + block - 1) / block, blob = (block * bits + 7) / 8;
      OpBuilder b(e);
      Location loc = e.getLoc();
      auto ui8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
      Value tr = TransposeOp::create(b, loc, RankedTensorType::get({h, v}, tt.getElementType()),
                                     table, b.getDenseI64ArrayAttr({1, 0}));
      SmallVector<Type> types = {RankedTensorType::get({v, blocks, blob}, ui8),
                                 RankedTensorType::get({v, blocks}, b.getF32Type())};
      if (!o.symmetric)
        types.push_back(RankedTensorType::get({v, (blocks * bits + 7) / 8}, ui8));
      auto q = QuantizeNBitsOp::create(b, loc, types, tr, bits, block, o.symmetric,
                                       o.search);
      auto dq = DequantizeNBitsOp::create(b, loc, tt, q.getCodes(), q.getScales(),
                                          q.getZeroPoints(), bits, block, h);
      e.getTableMutable().assign(dq);
    }
  }
  return success();
}
