//===- ContribOps.cpp - onnxruntime-genai graphs to fused phi ops ---------===//
//
// com.microsoft ops map straight onto fused phi ops:
//   SkipSimplifiedLayerNormalization -> phi.rms_norm with skip / residual
//   MatMulNBits                      -> phi.matmul_nbits
//   GroupQueryAttention              -> split/reshape/transpose, phi.rotary on
//                                       q and k, phi.attention, back to [B,S,H*D]
// and the one `If` the builder writes (LongRoPE: pick the long cos/sin caches
// when the total length exceeds original_max_position_embeddings) is folded
// into phi.rotary's short/long factors, recovered from the caches themselves.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::phi;
using namespace mlir::phi::onnx_import;

namespace {

using Outs = SmallVectorImpl<Value>;

Type elemOf(Value v) { return getElementTypeOrSelf(v.getType()); }

LogicalResult importSkipSimplifiedLayerNorm(Importer &im, const pb::NodeProto &n,
                                            ArrayRef<Value> ins, Outs &outs) {
  if (ins.size() < 3 || !ins[0] || !ins[1] || !ins[2])
    return im.nodeError() << "expects input, skip and gamma";
  if (ins.size() > 3 && ins[3])
    return im.nodeError() << "a bias input is not supported";
  auto eps = im.floatAttr("epsilon", 1e-5f);
  if (failed(eps))
    return failure();
  for (int i = 1; i < std::min(3, n.output_size()); ++i)
    if (!n.output(i).empty())
      return im.nodeError() << "the mean / inv_std_var outputs are not supported";
  bool wantSum = n.output_size() > 3 && !n.output(3).empty();
  Type t = ins[0].getType();
  SmallVector<Type> types = {t};
  if (wantSum)
    types.push_back(t);
  auto op = RMSNormOp::create(im.b, im.loc(), types, ins[0], ins[2], ins[1],
                              im.b.getF32FloatAttr(*eps));
  outs.push_back(op.getOutput());
  outs.push_back(Value());
  outs.push_back(Value());
  outs.push_back(wantSum ? op.getResidual() : Value());
  return success();
}

LogicalResult importMatMulNBits(Importer &im, const pb::NodeProto &,
                                ArrayRef<Value> ins, Outs &outs) {
  if (ins.size() < 3 || !ins[0] || !ins[1] || !ins[2])
    return im.nodeError() << "expects A, B and scales";
  for (unsigned i = 4; i < ins.size(); ++i)
    if (ins[i])
      return im.nodeError() << "g_idx and bias inputs are not supported";
  auto k = im.intAttr("K", std::nullopt), n = im.intAttr("N", std::nullopt),
       bits = im.intAttr("bits", 4),
       block = im.intAttr("block_size", std::nullopt);
  if (failed(k) || failed(n) || failed(bits) || failed(block))
    return failure();
  if (*k < 1 || *n < 1 || *block < 1)
    return im.nodeError() << "K, N and block_size must be positive";
  std::optional<SmallVector<int64_t>> shape = shapeOf(ins[0]);
  if (shape && !shape->empty())
    shape->back() = *n;
  Type rt = im.resultType(0, elemOf(ins[0]),
                          shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                : std::nullopt);
  Value zp = ins.size() > 3 ? ins[3] : Value();
  auto op = MatMulNBitsOp::create(im.b, im.loc(), rt, ins[0], ins[1], ins[2], zp,
                                  *bits, *block, *k, *n);
  if (auto acc = im.intAttr("accuracy_level", 0); succeeded(acc) && *acc)
    op->setAttr("onnx.accuracy_level", im.b.getI64IntegerAttr(*acc));
  outs.push_back(op);
  return success();
}

/// The builder's LongRoPE `If`: condition Greater(x, constant), each branch
/// only Constant nodes yielding (cos, sin). Recorded for GroupQueryAttention;
/// any other If shape is rejected.
LogicalResult importIf(Importer &im, const pb::NodeProto &n,
                       ArrayRef<Value> ins, Outs &outs) {
  auto reject = [&]() {
    return im.nodeError()
           << "only the LongRoPE cos/sin cache selection of onnxruntime-genai "
              "(Greater(total_length, original_max) choosing two Constant "
              "branches) is supported";
  };
  const pb::NodeProto *cond = n.input_size() ? im.producer(n.input(0)) : nullptr;
  if (!cond || cond->op_type() != "Greater" || cond->input_size() != 2 ||
      n.output_size() != 2)
    return reject();
  std::optional<int64_t> threshold;
  if (const pb::TensorProto *t = im.initializer(cond->input(1))) {
    auto bytes = im.tensorBytes(*t);
    if (succeeded(bytes) && bytes->bytes.size() == 8)
      threshold = *reinterpret_cast<const int64_t *>(bytes->bytes.data());
  } else if (const pb::NodeProto *c = im.producer(cond->input(1));
             c && c->op_type() == "Constant" && c->attribute_size() == 1 &&
             c->attribute(0).type() == pb::AttributeProto::TENSOR) {
    auto bytes = im.tensorBytes(c->attribute(0).t());
    if (succeeded(bytes) && bytes->bytes.size() == 8)
      threshold = *reinterpret_cast<const int64_t *>(bytes->bytes.data());
  }
  if (!threshold)
    return reject();
  const pb::GraphProto *thenG = nullptr, *elseG = nullptr;
  for (const auto &a : n.attribute()) {
    if (a.type() != pb::AttributeProto::GRAPH)
      continue;
    if (a.name() == "then_branch")
      thenG = &a.g();
    else if (a.name() == "else_branch")
      elseG = &a.g();
  }
  if (!thenG || !elseG)
    return reject();
  auto branch = [&](const pb::GraphProto &g, const pb::TensorProto *&cos,
                    const pb::TensorProto *&sin) -> bool {
    if (g.output_size() != 2)
      return false;
    llvm::StringMap<const pb::TensorProto *> consts;
    for (const auto &node : g.node()) {
      if (node.op_type() != "Constant" || node.output_size() != 1 ||
          node.attribute_size() != 1 ||
          node.attribute(0).type() != pb::AttributeProto::TENSOR)
        return false;
      consts[node.output(0)] = &node.attribute(0).t();
    }
    for (const auto &t : g.initializer())
      consts[t.name()] = &t;
    cos = consts.lookup(g.output(0).name());
    sin = consts.lookup(g.output(1).name());
    return cos && sin;
  };
  RopeSelection sel;
  sel.threshold = *threshold;
  if (!branch(*thenG, sel.longCos, sel.longSin) ||
      !branch(*elseG, sel.shortCos, sel.shortSin))
    return reject();
  im.ropeSelections[n.output(0)] = sel;
  sel.isSin = true;
  im.ropeSelections[n.output(1)] = sel;
  outs.push_back(Value());
  outs.push_back(Value());
  return success();
}

/// Recovers `inv_freq` and `mscale` from a cos/sin cache [positions, dim/2]:
/// row 0 holds cos(0) * mscale, row 1 the angle inv_freq. Checks that the
/// recovered parameters reproduce the first rows of the cache.
LogicalResult recoverRope(Importer &im, const pb::TensorProto &cosT,
                          const pb::TensorProto &sinT,
                          SmallVectorImpl<double> &invFreq, double &mscale) {
  auto c = im.tensorBytes(cosT), s = im.tensorBytes(sinT);
  if (failed(c) || failed(s))
    return failure();
  if (c->shape.size() != 2 || c->shape != s->shape || c->shape[0] < 2 ||
      !c->elementType.isF32() || !s->elementType.isF32())
    return im.nodeError() << "cos/sin caches must be f32 [positions, dim/2] "
                             "with at least two positions";
  int64_t rows = c->shape[0], cols = c->shape[1];
  auto cv = reinterpret_cast<const float *>(c->bytes.data());
  auto sv = reinterpret_cast<const float *>(s->bytes.data());
  mscale = cv[0];
  if (!(mscale > 0))
    return im.nodeError() << "cos cache row 0 must be positive (cos(0) * mscale)";
  invFreq.clear();
  for (int64_t i = 0; i < cols; ++i)
    invFreq.push_back(std::atan2((double)sv[cols + i], (double)cv[cols + i]));
  int64_t check = std::min<int64_t>(rows, 64);
  for (int64_t p = 0; p < check; ++p)
    for (int64_t i = 0; i < cols; ++i) {
      double ang = p * invFreq[i];
      if (std::abs(std::cos(ang) * mscale - cv[p * cols + i]) > 1e-3 ||
          std::abs(std::sin(ang) * mscale - sv[p * cols + i]) > 1e-3)
        return im.nodeError() << "cos/sin caches are not a rotary table "
                                 "(position "
                              << p << ", channel " << i << ")";
    }
  return success();
}

/// factor[i] = 1 / (inv_freq[i] * theta^(2i/rotary_dim)).
SmallVector<float> toFactors(ArrayRef<double> invFreq, double theta) {
  SmallVector<float> f;
  int64_t rd = invFreq.size() * 2;
  for (auto [i, w] : llvm::enumerate(invFreq))
    f.push_back(1.0 / (w * std::pow(theta, 2.0 * i / rd)));
  return f;
}

Value reshapeTo(Importer &im, Value v, ArrayRef<int64_t> target,
                ArrayRef<int64_t> resultShape) {
  auto rt = RankedTensorType::get(resultShape, elemOf(v));
  return ReshapeOp::create(im.b, im.loc(), rt, v, im.i64Const(target));
}

Value transpose0213(Importer &im, Value v) {
  auto s = cast<RankedTensorType>(v.getType()).getShape();
  auto rt = RankedTensorType::get({s[0], s[2], s[1], s[3]}, elemOf(v));
  return TransposeOp::create(im.b, im.loc(), rt, v,
                             im.b.getDenseI64ArrayAttr({0, 2, 1, 3}));
}

LogicalResult importGroupQueryAttention(Importer &im, const pb::NodeProto &n,
                                        ArrayRef<Value> ins, Outs &outs) {
  auto h = im.intAttr("num_heads", std::nullopt),
       hkv = im.intAttr("kv_num_heads", std::nullopt),
       doRotary = im.intAttr("do_rotary", 0),
       interleaved = im.intAttr("rotary_interleaved", 0),
       window = im.intAttr("local_window_size", -1);
  auto scale = im.floatAttr("scale", 0.0f), softcap = im.floatAttr("softcap", 0.0f);
  if (failed(h) || failed(hkv) || failed(doRotary) || failed(interleaved) ||
      failed(window) || failed(scale) || failed(softcap))
    return failure();
  if (*h < 1 || *hkv < 1 || *h % *hkv)
    return im.nodeError() << "num_heads must be a positive multiple of kv_num_heads";
  if (*window != -1 || *softcap != 0.0f || *interleaved)
    return im.nodeError() << "local_window_size, softcap and interleaved "
                             "rotary are not supported";
  if (ins.size() < 7 || !ins[0])
    return im.nodeError() << "expects query, past and sequence-length inputs";
  if ((ins.size() > 1 && ins[1]) || (ins.size() > 2 && ins[2]))
    return im.nodeError() << "only packed QKV (empty key and value inputs) is "
                             "supported";
  for (unsigned i = 9; i < ins.size(); ++i)
    if (ins[i])
      return im.nodeError() << "position_ids, attention_bias and head_sink "
                               "inputs are not supported";
  Value pastK = ins[3], pastV = ins[4];
  if (!pastK || !pastV)
    return im.nodeError() << "past_key and past_value are required";

  auto qs = shapeOf(ins[0]);
  if (!qs || qs->size() != 3 || ShapedType::isDynamic(qs->back()) ||
      qs->back() % (*h + 2 * *hkv))
    return im.nodeError() << "packed QKV must be [batch, seq, (num_heads + 2 * "
                             "kv_num_heads) * head_dim] with a static last dim";
  int64_t d = qs->back() / (*h + 2 * *hkv);
  int64_t bsz = (*qs)[0], seq = (*qs)[1];
  Type f = elemOf(ins[0]);
  float sc = *scale != 0.0f ? *scale : 1.0f / std::sqrt((float)d);

  // seqlens_k = Cast(Sub(ReduceSum(mask, 1), 1)) carries the padding mask.
  Value mask;
  {
    const pb::NodeProto *c = im.producer(n.input(5));
    const pb::NodeProto *sub = c && c->op_type() == "Cast" ? im.producer(c->input(0)) : nullptr;
    const pb::NodeProto *sum = sub && sub->op_type() == "Sub" ? im.producer(sub->input(0)) : nullptr;
    if (!sum || sum->op_type() != "ReduceSum")
      return im.nodeError() << "seqlens_k must be Cast(Sub(ReduceSum(attention_mask)))";
    // The graph input named by the ReduceSum is already a value.
    for (BlockArgument arg : im.b.getInsertionBlock()->getArguments())
      if (auto name = cast<func::FuncOp>(arg.getOwner()->getParentOp())
                          .getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name");
          name && name.getValue() == sum->input(0))
        mask = arg;
    if (!mask)
      return im.nodeError() << "seqlens_k must derive from a graph input mask";
  }

  // Split packed QKV and move heads in front: [B, H, S, D].
  int64_t qn = *h * d, kn = *hkv * d;
  SmallVector<Type> parts = {RankedTensorType::get({bsz, seq, qn}, f),
                             RankedTensorType::get({bsz, seq, kn}, f),
                             RankedTensorType::get({bsz, seq, kn}, f)};
  auto split = SplitOp::create(im.b, im.loc(), parts, ins[0],
                               im.b.getI64IntegerAttr(-1),
                               im.b.getDenseI64ArrayAttr({qn, kn, kn}));
  Value q = transpose0213(im, reshapeTo(im, split.getResult(0), {0, 0, *h, d},
                                        {bsz, seq, *h, d}));
  Value k = transpose0213(im, reshapeTo(im, split.getResult(1), {0, 0, *hkv, d},
                                        {bsz, seq, *hkv, d}));
  Value v = transpose0213(im, reshapeTo(im, split.getResult(2), {0, 0, *hkv, d},
                                        {bsz, seq, *hkv, d}));

  if (*doRotary) {
    if (ins.size() < 9)
      return im.nodeError() << "do_rotary needs cos_cache and sin_cache";
    SmallVector<double> shortInv, longInv;
    double shortScale = 1.0, longScale = 1.0;
    std::optional<int64_t> originalMax;
    auto sel = im.ropeSelections.find(n.input(7));
    if (sel != im.ropeSelections.end()) {
      const RopeSelection &r = sel->second;
      if (failed(recoverRope(im, *r.shortCos, *r.shortSin, shortInv, shortScale)) ||
          failed(recoverRope(im, *r.longCos, *r.longSin, longInv, longScale)))
        return failure();
      if (std::abs(shortScale - longScale) > 1e-6 || shortInv.size() != longInv.size())
        return im.nodeError() << "short and long rotary caches differ in mscale "
                                 "or width";
      originalMax = r.threshold;
    } else {
      const pb::TensorProto *c = im.initializer(n.input(7)),
                            *s = im.initializer(n.input(8));
      if (!c || !s)
        return im.nodeError() << "cos_cache and sin_cache must be initializers "
                                 "or the LongRoPE If";
      if (failed(recoverRope(im, *c, *s, shortInv, shortScale)))
        return failure();
    }
    // The caches' rows are the context length the model was built for; the
    // ONNX exporter sizes its caches from it.
    {
      // (The builder's short caches stop at original_max; the long ones
      // span the context.)
      const pb::TensorProto *c =
          sel != im.ropeSelections.end() ? sel->second.longCos : im.initializer(n.input(7));
      auto bytes = im.tensorBytes(*c);
      if (succeeded(bytes) && !bytes->shape.empty())
        if (auto module = im.b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>())
          module->setAttr("phi.context_length", im.b.getI64IntegerAttr(bytes->shape[0]));
    }
    int64_t rd = shortInv.size() * 2;
    if (rd > d)
      return im.nodeError() << "rotary caches are wider than the head dim";
    // Positions of the new tokens: past_len + [0, S).
    auto i64 = im.b.getI64Type();
    auto one = RankedTensorType::get({1}, i64);
    Value pastLen = ShapeOp::create(im.b, im.loc(), one, pastK,
                                    im.b.getI64IntegerAttr(2),
                                    im.b.getI64IntegerAttr(3));
    Value seqLen = ShapeOp::create(im.b, im.loc(), one, ins[0],
                                   im.b.getI64IntegerAttr(1),
                                   im.b.getI64IntegerAttr(2));
    auto scalar = RankedTensorType::get({}, i64);
    Value p0 = SqueezeOp::create(im.b, im.loc(), scalar, pastLen,
                                 im.b.getDenseI64ArrayAttr({0}));
    Value s0 = SqueezeOp::create(im.b, im.loc(), scalar, seqLen,
                                 im.b.getDenseI64ArrayAttr({0}));
    Value end = AddOp::create(im.b, im.loc(), scalar, p0, s0);
    Value range = RangeOp::create(
        im.b, im.loc(), RankedTensorType::get({seq}, i64), p0, end,
        im.i64Const({1}, /*scalar=*/true));
    Value pos = UnsqueezeOp::create(im.b, im.loc(),
                                    RankedTensorType::get({1, seq}, i64), range,
                                    im.b.getDenseI64ArrayAttr({0}));
    SmallVector<float> shortF = toFactors(shortInv, im.options.ropeTheta);
    bool plain = !originalMax && llvm::all_of(shortF, [](float x) {
      return std::abs(x - 1.0f) < 1e-4f;
    });
    auto rotate = [&](Value x) -> Value {
      return RotaryOp::create(
          im.b, im.loc(), x.getType(), x, pos,
          im.b.getF32FloatAttr(im.options.ropeTheta), im.b.getI64IntegerAttr(rd),
          im.b.getF32FloatAttr(shortScale),
          plain ? DenseF32ArrayAttr() : im.b.getDenseF32ArrayAttr(shortF),
          originalMax ? im.b.getDenseF32ArrayAttr(
                            toFactors(longInv, im.options.ropeTheta))
                      : DenseF32ArrayAttr(),
          originalMax ? im.b.getI64IntegerAttr(*originalMax) : IntegerAttr());
    };
    q = rotate(q);
    k = rotate(k);
  }

  Type pkT = pastK.getType(), pvT = pastV.getType();
  if (n.output_size() > 1)
    pkT = im.resultType(1, f, shapeOf(pastK) ? std::optional<ArrayRef<int64_t>>(
                                                   *shapeOf(pastK))
                                             : std::nullopt);
  if (n.output_size() > 2)
    pvT = im.resultType(2, f, shapeOf(pastV) ? std::optional<ArrayRef<int64_t>>(
                                                   *shapeOf(pastV))
                                             : std::nullopt);
  auto attn = AttentionOp::create(
      im.b, im.loc(), q.getType(), pkT, pvT, q, k, v, pastK, pastV, mask,
      im.b.getI64IntegerAttr(*h), im.b.getI64IntegerAttr(*hkv),
      im.b.getF32FloatAttr(sc), im.b.getBoolAttr(true));
  Value o = transpose0213(im, attn.getOutput());
  outs.push_back(reshapeTo(im, o, {0, 0, qn}, {bsz, seq, qn}));
  outs.push_back(attn.getPresentKey());
  outs.push_back(attn.getPresentValue());
  return success();
}

} // namespace

void Importer::registerContribOps(llvm::StringMap<Handler> &t) {
  t["com.microsoft::SkipSimplifiedLayerNormalization"] =
      importSkipSimplifiedLayerNorm;
  t["com.microsoft::MatMulNBits"] = importMatMulNBits;
  t["com.microsoft::GroupQueryAttention"] = importGroupQueryAttention;
  t["ai.onnx::If"] = importIf;
}
