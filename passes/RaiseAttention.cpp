//===- RaiseAttention.cpp - eager attention to phi.attention --------------===//
//
// softmax(q @ repeat_kv(k)^T * scale + mask) @ repeat_kv(v) with Hugging
// Face's additive causal/padding mask becomes one phi.attention reading the
// graph's attention_mask directly.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"
#include "phi/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::phi {
#define GEN_PASS_DEF_PHIRAISEATTENTIONPASS
#include "phi/Transforms/Passes.h.inc"
} // namespace mlir::phi

using namespace mlir;
using namespace mlir::phi;

namespace {

/// Looks through repeat_kv: reshape(expand(unsqueeze(x, [2]))).
Value stripRepeatKV(Value v) {
  auto r = v.getDefiningOp<ReshapeOp>();
  auto e = r ? r.getInput().getDefiningOp<ExpandOp>() : ExpandOp();
  auto u = e ? e.getInput().getDefiningOp<UnsqueezeOp>() : UnsqueezeOp();
  if (u && u.getAxes().size() == 1 && u.getAxes()[0] == 2)
    return u.getInput();
  return v;
}

int64_t heads(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getRank() == 4 ? t.getDimSize(1) : ShapedType::kDynamic;
}

/// The graph input `attention_mask` if `mask` is HF's additive mask
/// where(keep, 0, -large) computed from it.
Value matchHFMask(Value mask) {
  auto w = mask.getDefiningOp<WhereOp>();
  if (!w)
    return {};
  auto zero = matchScalarFloat(w.getX()), neg = matchScalarFloat(w.getY());
  if (!zero || *zero != 0.0 || !neg || *neg > -1e30)
    return {};
  // Bounded walk up the keep-condition's operands to a function argument
  // named attention_mask.
  SmallVector<Value> work = {w.getCondition()};
  llvm::SmallPtrSet<Operation *, 32> seen;
  while (!work.empty() && seen.size() < 256) {
    Value v = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      auto name = fn ? fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name")
                     : StringAttr();
      if (name && name.getValue() == "attention_mask")
        return arg;
      continue;
    }
    Operation *op = v.getDefiningOp();
    if (op && seen.insert(op).second)
      work.append(op->operand_begin(), op->operand_end());
  }
  return {};
}

struct RaiseAttention : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto sm = op.getLhs().getDefiningOp<SoftmaxOp>();
    if (!sm)
      return failure();
    auto st = cast<TensorType>(sm.getType());
    int64_t axis = sm.getAxis();
    if (axis != -1 && !(st.hasRank() && axis == st.getRank() - 1))
      return failure();
    auto add = sm.getInput().getDefiningOp<AddOp>();
    if (!add)
      return failure();
    for (int i = 0; i < 2; ++i) {
      auto mul = add->getOperand(i).getDefiningOp<MulOp>();
      Value attnMask = matchHFMask(add->getOperand(1 - i));
      if (!mul || !attnMask)
        continue;
      for (int j = 0; j < 2; ++j) {
        auto qk = mul->getOperand(j).getDefiningOp<MatMulOp>();
        auto scale = matchScalarFloat(mul->getOperand(1 - j));
        if (!qk || !scale)
          continue;
        auto kt = qk.getRhs().getDefiningOp<TransposeOp>();
        if (!kt || kt.getPerm() != ArrayRef<int64_t>{0, 1, 3, 2})
          continue;
        Value q = qk.getLhs(), k = stripRepeatKV(kt.getInput()),
              v = stripRepeatKV(op.getRhs());
        int64_t h = heads(q), hkv = heads(k);
        if (ShapedType::isDynamic(h) || ShapedType::isDynamic(hkv) ||
            heads(v) != hkv || h % hkv)
          continue;
        auto attn = AttentionOp::create(
            rewriter, op.getLoc(), op.getType(), k.getType(), v.getType(), q, k,
            v, Value(), Value(), attnMask, rewriter.getI64IntegerAttr(h),
            rewriter.getI64IntegerAttr(hkv),
            rewriter.getF32FloatAttr(*scale), rewriter.getBoolAttr(true));
        rewriter.replaceOp(op, attn.getOutput());
        return success();
      }
    }
    return failure();
  }
};

struct PhiRaiseAttentionPass
    : mlir::phi::impl::PhiRaiseAttentionPassBase<PhiRaiseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseAttention>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
