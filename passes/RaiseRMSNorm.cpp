//===- RaiseRMSNorm.cpp - decomposed RMSNorm to phi.rms_norm --------------===//
//
// Hugging Face's Phi3RMSNorm reaches ONNX as Pow/ReduceMean/Add/Sqrt/
// Reciprocal(or Div)/Mul/Mul. This pass matches that chain from its final Mul
// and replaces it with one phi.rms_norm, reading epsilon from the Add.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"
#include "phi/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::phi {
#define GEN_PASS_DEF_PHIRAISERMSNORMPASS
#include "phi/Transforms/Passes.h.inc"
} // namespace mlir::phi

using namespace mlir;
using namespace mlir::phi;

namespace {

/// `1 / s` written as Reciprocal(s) or Div(1, s).
Value matchReciprocal(Value v) {
  if (auto r = v.getDefiningOp<ReciprocalOp>())
    return r.getInput();
  if (auto d = v.getDefiningOp<DivOp>())
    if (auto one = matchScalarFloat(d.getLhs()); one && *one == 1.0)
      return d.getRhs();
  return {};
}

/// Matches `x * rsqrt(mean(x^2, -1) + eps)` and returns x and eps.
std::optional<std::pair<Value, double>> matchNormalized(MulOp mul) {
  for (int i = 0; i < 2; ++i) {
    Value x = mul->getOperand(i), r = mul->getOperand(1 - i);
    Value s = matchReciprocal(stripIdentityCasts(r));
    if (!s)
      continue;
    auto sqrt = stripIdentityCasts(s).getDefiningOp<SqrtOp>();
    if (!sqrt)
      continue;
    auto add = sqrt.getInput().getDefiningOp<AddOp>();
    if (!add)
      continue;
    for (int j = 0; j < 2; ++j) {
      auto mean = add->getOperand(j).getDefiningOp<ReduceMeanOp>();
      std::optional<double> eps = matchScalarFloat(add->getOperand(1 - j));
      if (!mean || !eps || !mean.getKeepdims() || mean.getAxes().size() != 1)
        continue;
      auto pow = mean.getInput().getDefiningOp<PowOp>();
      if (!pow)
        continue;
      std::optional<double> two = matchScalarFloat(pow.getRhs());
      if (!two || *two != 2.0)
        continue;
      auto xt = dyn_cast<RankedTensorType>(x.getType());
      int64_t axis = mean.getAxes()[0];
      if (axis != -1 && !(xt && axis == xt.getRank() - 1))
        continue;
      if (stripIdentityCasts(pow.getLhs()) != stripIdentityCasts(x))
        continue;
      return std::make_pair(x, *eps);
    }
  }
  return std::nullopt;
}

struct RaiseRMSNorm : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto inner = stripIdentityCasts(op->getOperand(i)).getDefiningOp<MulOp>();
      Value w = op->getOperand(1 - i);
      auto wt = dyn_cast<RankedTensorType>(w.getType());
      if (!inner || !wt || wt.getRank() != 1)
        continue;
      auto match = matchNormalized(inner);
      if (!match)
        continue;
      auto norm = RMSNormOp::create(
          rewriter, op.getLoc(), TypeRange{op.getType()},
          stripIdentityCasts(match->first), w, /*skip=*/Value(),
          rewriter.getF32FloatAttr(match->second));
      rewriter.replaceOp(op, norm.getOutput());
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not an RMSNorm chain");
  }
};

/// rms_norm(a + b) -> rms_norm(a, skip b) whose residual output replaces the
/// add (SkipSimplifiedLayerNormalization's form, as the genai graphs have it).
struct FuseSkip : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    auto add = op.getInput().getDefiningOp<AddOp>();
    if (op.getSkip() || !add || add.getLhs().getType() != add.getType() ||
        add.getRhs().getType() != add.getType() ||
        op.getOutput().getType() != add.getType())
      return failure();
    // The residual replaces the add everywhere, so the fused op goes where
    // the add is; an operand-free weight defined later moves up with it.
    Operation *wDef = op.getWeight().getDefiningOp();
    if (wDef && wDef->getBlock() == add->getBlock() && add->isBeforeInBlock(wDef)) {
      if (wDef->getNumOperands())
        return failure();
      rewriter.modifyOpInPlace(wDef, [&] { wDef->moveBefore(add); });
    }
    rewriter.setInsertionPoint(add);
    Type t = add.getType();
    auto fused = RMSNormOp::create(rewriter, op.getLoc(), TypeRange{t, t},
                                   add.getLhs(), op.getWeight(), add.getRhs(),
                                   op.getEpsilonAttr());
    rewriter.replaceAllUsesWith(add.getResult(), fused.getResidual());
    rewriter.replaceOp(op, fused.getOutput());
    return success();
  }
};

struct PhiRaiseRMSNormPass
    : mlir::phi::impl::PhiRaiseRMSNormPassBase<PhiRaiseRMSNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseRMSNorm, FuseSkip>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
