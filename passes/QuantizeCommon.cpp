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
    if (llvm::any_of(o.exclude, [&](const std::string &s) {
          return !s.empty() && name.find(s) != std::string::npos;
        }))
      continue;
    int bits = o.bits;
    int64_t group = o.groupSize;
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
  return success();
}
