//===- RaiseGatedMLP.cpp - SiLU and gated MLP to phi.gated_silu -----------===//
//
// Brings the two exporters' MLP activations to one form: a single matmul
// producing [..., 2I] (gate first, then up) followed by phi.gated_silu.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"
#include "phi/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::phi {
#define GEN_PASS_DEF_PHIRAISEGATEDMLPPASS
#include "phi/Transforms/Passes.h.inc"
} // namespace mlir::phi

using namespace mlir;
using namespace mlir::phi;

namespace {

/// x * sigmoid(x) -> silu(x).
struct RaiseSilu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto sig = op->getOperand(1 - i).getDefiningOp<SigmoidOp>();
      Value x = op->getOperand(i);
      if (sig && sig.getInput() == x && x.getType() == op.getType()) {
        rewriter.replaceOpWithNewOp<SiluOp>(op, op.getType(), x);
        return success();
      }
    }
    return failure();
  }
};

/// Type with the last dimension doubled.
Type doubledLast(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  if (!r || r.getRank() == 0)
    return t;
  SmallVector<int64_t> s(r.getShape());
  if (!ShapedType::isDynamic(s.back()))
    s.back() *= 2;
  return RankedTensorType::get(s, r.getElementType());
}

/// Concatenates two same-shaped weight tensors along `axis`.
Value concatWeights(PatternRewriter &rewriter, Location loc, Value a, Value b,
                    int64_t axis) {
  auto t = cast<RankedTensorType>(a.getType());
  SmallVector<int64_t> s(t.getShape());
  s[axis] *= 2;
  return ConcatOp::create(rewriter, loc, RankedTensorType::get(s, t.getElementType()),
                          ValueRange{a, b}, rewriter.getI64IntegerAttr(axis));
}

bool sameStaticType(Value a, Value b) {
  auto t = dyn_cast<RankedTensorType>(a.getType());
  return t && t.hasStaticShape() && a.getType() == b.getType();
}

/// up * silu(gate) -> gated_silu(gate_up).
struct RaiseGatedSilu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto silu = op->getOperand(i).getDefiningOp<SiluOp>();
      Value up = op->getOperand(1 - i);
      if (!silu || !silu->hasOneUse() || up.getType() != op.getType())
        continue;
      Value gate = silu.getInput();
      if (Value gu = matchSplit(gate, up)) {
        rewriter.replaceOpWithNewOp<GatedSiluOp>(op, op.getType(), gu);
        return success();
      }
      if (Value gu = fuseMatmuls(rewriter, gate, up)) {
        rewriter.replaceOpWithNewOp<GatedSiluOp>(op, op.getType(), gu);
        return success();
      }
    }
    return failure();
  }

  /// gate, up = split(gu) into equal halves of the last axis.
  static Value matchSplit(Value gate, Value up) {
    auto split = gate.getDefiningOp<SplitOp>();
    if (!split || split.getNumResults() != 2 || split.getResult(0) != gate ||
        split.getResult(1) != up || split.getSizes()[0] != split.getSizes()[1])
      return {};
    auto t = dyn_cast<RankedTensorType>(split.getInput().getType());
    int64_t axis = split.getAxis();
    if (!t || (axis != -1 && axis != t.getRank() - 1))
      return {};
    return split.getInput();
  }

  /// gate = x @ Wg, up = x @ Wu (float or MatMulNBits, same shapes) ->
  /// x @ concat(Wg, Wu).
  static Value fuseMatmuls(PatternRewriter &rewriter, Value gate, Value up) {
    if (auto g = gate.getDefiningOp<MatMulOp>()) {
      auto u = up.getDefiningOp<MatMulOp>();
      if (!u || g.getLhs() != u.getLhs() || !sameStaticType(g.getRhs(), u.getRhs()) ||
          cast<RankedTensorType>(g.getRhs().getType()).getRank() != 2)
        return {};
      rewriter.setInsertionPoint(u->isBeforeInBlock(g) ? g : u);
      Value w = concatWeights(rewriter, g.getLoc(), g.getRhs(), u.getRhs(), 1);
      return MatMulOp::create(rewriter, g.getLoc(), doubledLast(g.getType()),
                              g.getLhs(), w);
    }
    auto g = gate.getDefiningOp<MatMulNBitsOp>();
    auto u = up.getDefiningOp<MatMulNBitsOp>();
    if (!g || !u || g.getInput() != u.getInput() || g.getBits() != u.getBits() ||
        g.getBlockSize() != u.getBlockSize() || g.getK() != u.getK() ||
        g.getN() != u.getN() || !sameStaticType(g.getB(), u.getB()) ||
        !sameStaticType(g.getScales(), u.getScales()) ||
        (bool)g.getZeroPoints() != (bool)u.getZeroPoints() ||
        (g.getZeroPoints() && !sameStaticType(g.getZeroPoints(), u.getZeroPoints())))
      return {};
    rewriter.setInsertionPoint(u->isBeforeInBlock(g) ? g : u);
    Location loc = g.getLoc();
    // Row-major [N, ...] layouts: stacking the up rows under the gate rows
    // concatenates codes, scales and packed zero points along axis 0.
    Value b = concatWeights(rewriter, loc, g.getB(), u.getB(), 0);
    Value s = concatWeights(rewriter, loc, g.getScales(), u.getScales(), 0);
    Value zp = g.getZeroPoints()
                   ? concatWeights(rewriter, loc, g.getZeroPoints(), u.getZeroPoints(), 0)
                   : Value();
    auto fused = MatMulNBitsOp::create(rewriter, loc, doubledLast(g.getType()),
                                       g.getInput(), b, s, zp, g.getBits(),
                                       g.getBlockSize(), g.getK(), 2 * g.getN());
    fused->setDiscardableAttrs(g->getDiscardableAttrDictionary());
    return fused;
  }
};

struct PhiRaiseGatedMLPPass
    : mlir::phi::impl::PhiRaiseGatedMLPPassBase<PhiRaiseGatedMLPPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseSilu>(&getContext(), /*benefit=*/2);
    patterns.add<RaiseGatedSilu>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
