//===- RaiseRotary.cpp - rotate-half RoPE / LongRoPE to phi.rotary --------===//
//
// Hugging Face computes cos/sin from position ids and inverse frequencies
// (LongRoPE picks the long or short table from max(position_ids) + 1) and
// rotates q and k with `x * cos + rotate_half(x) * sin`. This pass matches
// that chain from its final Add and replaces it with one phi.rotary.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"
#include "phi/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::phi {
#define GEN_PASS_DEF_PHIRAISEROTARYPASS
#include "phi/Transforms/Passes.h.inc"
} // namespace mlir::phi

using namespace mlir;
using namespace mlir::phi;

namespace {

/// RoPE base used to express inverse frequencies as factors; the ONNX
/// importer uses the same, so both exporters give identical attributes.
constexpr double kTheta = 10000.0;

/// slice(x, [start], [end]) along the last axis with step 1; returns x. An
/// end at or past the dimension (torch writes INT64_MAX) counts as `end`
/// when `end` is the full dimension.
Value matchLastAxisSlice(Value v, int64_t start, int64_t end) {
  auto s = v.getDefiningOp<SliceOp>();
  if (!s)
    return {};
  auto xt = dyn_cast<RankedTensorType>(s.getInput().getType());
  auto st = intConsts(s.getStarts()), en = intConsts(s.getEnds()),
       ax = intConsts(s.getAxes());
  bool endOk = en && en->size() == 1 &&
               ((*en)[0] == end || (xt && !xt.isDynamicDim(xt.getRank() - 1) &&
                                    end == xt.getDimSize(xt.getRank() - 1) &&
                                    (*en)[0] >= end));
  if (!xt || !st || !endOk || !ax || st->size() != 1 || (*st)[0] != start ||
      ((*ax)[0] != -1 && (*ax)[0] != xt.getRank() - 1))
    return {};
  if (s.getSteps()) {
    auto sp = intConsts(s.getSteps());
    if (!sp || (*sp)[0] != 1)
      return {};
  }
  return s.getInput();
}

/// unsqueeze(mul(trig(e), m), [1]) -> (e, m); plain RoPE has no mul (m = 1).
template <typename TrigOp>
std::optional<std::pair<Value, double>> matchTable(Value v) {
  auto u = stripIdentityCasts(v).getDefiningOp<UnsqueezeOp>();
  if (!u || u.getAxes().size() != 1 || u.getAxes()[0] != 1)
    return std::nullopt;
  Value t = stripIdentityCasts(u.getInput());
  if (auto trig = t.getDefiningOp<TrigOp>())
    return std::make_pair(trig.getInput(), 1.0);
  auto mul = t.getDefiningOp<MulOp>();
  if (!mul)
    return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    auto trig = mul->getOperand(i).getDefiningOp<TrigOp>();
    auto m = matchScalarFloat(mul->getOperand(1 - i));
    if (trig && m)
      return std::make_pair(trig.getInput(), *m);
  }
  return std::nullopt;
}

struct Freqs {
  Value pos;          // [batch, seq] position ids, or
  Value range;        // a 1-D range of positions (unsqueezed to [1, seq])
  SmallVector<double> shortInv, longInv;
  std::optional<int64_t> originalMax;
};

/// e = concat(f, f), f = cast(unsqueeze(pos, [2])) * inv.
std::optional<Freqs> matchFreqs(Value e) {
  auto cat = e.getDefiningOp<ConcatOp>();
  if (!cat || cat.getInputs().size() != 2 || cat.getInputs()[0] != cat.getInputs()[1])
    return std::nullopt;
  auto mul = cat.getInputs()[0].getDefiningOp<MulOp>();
  if (!mul)
    return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    auto c = mul->getOperand(i).getDefiningOp<CastOp>();
    auto u = c ? c.getInput().getDefiningOp<UnsqueezeOp>() : UnsqueezeOp();
    if (!u)
      continue;
    Freqs f;
    auto pt = dyn_cast<RankedTensorType>(u.getInput().getType());
    if (!pt)
      return std::nullopt;
    if (u.getAxes() == ArrayRef<int64_t>{2} && pt.getRank() == 2)
      f.pos = u.getInput();
    else if (u.getAxes() == ArrayRef<int64_t>{0, 2} && pt.getRank() == 1)
      f.range = u.getInput();
    else
      return std::nullopt;
    Value inv = mul->getOperand(1 - i);
    if (auto plain = floatConsts(inv)) {
      f.shortInv = *plain;
      return f;
    }
    // where(max(pos) + 1 > T, long, short)
    auto w = inv.getDefiningOp<WhereOp>();
    auto gt = w ? w.getCondition().getDefiningOp<GreaterOp>() : GreaterOp();
    auto add = gt ? gt.getLhs().getDefiningOp<AddOp>() : AddOp();
    if (!add)
      return std::nullopt;
    auto t = intConsts(gt.getRhs());
    auto longInv = floatConsts(w.getX()), shortInv = floatConsts(w.getY());
    for (int j = 0; j < 2; ++j) {
      auto rm = add->getOperand(j).getDefiningOp<ReduceMaxOp>();
      auto one = intConsts(add->getOperand(1 - j));
      if (rm && f.pos && rm.getInput() == f.pos && one && one->size() == 1 &&
          (*one)[0] == 1 && t && t->size() == 1 && longInv && shortInv &&
          longInv->size() == shortInv->size()) {
        f.shortInv = *shortInv;
        f.longInv = *longInv;
        f.originalMax = (*t)[0];
        return f;
      }
    }
    return std::nullopt;
  }
  return std::nullopt;
}

SmallVector<float> toFactors(ArrayRef<double> inv) {
  SmallVector<float> f;
  int64_t rd = inv.size() * 2;
  for (auto [i, w] : llvm::enumerate(inv))
    f.push_back(1.0 / (w * std::pow(kTheta, 2.0 * i / rd)));
  return f;
}

struct RaiseRotary : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto cosMul = op->getOperand(i).getDefiningOp<MulOp>();
      auto sinMul = op->getOperand(1 - i).getDefiningOp<MulOp>();
      if (!cosMul || !sinMul)
        continue;
      for (int a = 0; a < 2; ++a)
        for (int c = 0; c < 2; ++c) {
          Value x = cosMul->getOperand(a), cosT = cosMul->getOperand(1 - a);
          Value rot = sinMul->getOperand(c), sinT = sinMul->getOperand(1 - c);
          if (succeeded(rewrite(op, x, cosT, rot, sinT, rewriter)))
            return success();
        }
    }
    return failure();
  }

  LogicalResult rewrite(AddOp op, Value x, Value cosT, Value rot, Value sinT,
                        PatternRewriter &rewriter) const {
    auto xt = dyn_cast<RankedTensorType>(x.getType());
    if (!xt || xt.getRank() != 4 || xt.isDynamicDim(3) || xt.getDimSize(3) % 2 ||
        op.getType() != x.getType())
      return failure();
    int64_t d = xt.getDimSize(3), h = d / 2;
    // rotate_half(x) = concat(-x[h:], x[:h])
    auto cat = rot.getDefiningOp<ConcatOp>();
    if (!cat || cat.getInputs().size() != 2)
      return failure();
    auto neg = cat.getInputs()[0].getDefiningOp<NegOp>();
    if (!neg || matchLastAxisSlice(neg.getInput(), h, d) != x ||
        matchLastAxisSlice(cat.getInputs()[1], 0, h) != x)
      return failure();
    auto cosM = matchTable<CosOp>(cosT);
    auto sinM = matchTable<SinOp>(sinT);
    if (!cosM || !sinM || cosM->first != sinM->first ||
        cosM->second != sinM->second)
      return failure();
    auto freqs = matchFreqs(cosM->first);
    if (!freqs || (int64_t)freqs->shortInv.size() != h)
      return failure();
    Value pos = freqs->pos;
    if (!pos) {
      auto rt = cast<RankedTensorType>(freqs->range.getType());
      pos = UnsqueezeOp::create(
          rewriter, op.getLoc(),
          RankedTensorType::get({1, rt.getDimSize(0)}, rt.getElementType()),
          freqs->range, rewriter.getDenseI64ArrayAttr({0}));
    }
    bool plain = !freqs->originalMax &&
                 llvm::all_of(toFactors(freqs->shortInv),
                              [](float f) { return std::abs(f - 1.0f) < 1e-4f; });
    rewriter.replaceOpWithNewOp<RotaryOp>(
        op, x.getType(), x, pos, rewriter.getF32FloatAttr(kTheta),
        rewriter.getI64IntegerAttr(d), rewriter.getF32FloatAttr(cosM->second),
        plain ? DenseF32ArrayAttr()
              : rewriter.getDenseF32ArrayAttr(toFactors(freqs->shortInv)),
        freqs->originalMax
            ? rewriter.getDenseF32ArrayAttr(toFactors(freqs->longInv))
            : DenseF32ArrayAttr(),
        freqs->originalMax ? rewriter.getI64IntegerAttr(*freqs->originalMax)
                           : IntegerAttr());
    return success();
  }
};

struct PhiRaiseRotaryPass
    : mlir::phi::impl::PhiRaiseRotaryPassBase<PhiRaiseRotaryPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseRotary>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
