//===- StandardOps.cpp - ai.onnx ops to phi ops ---------------------------===//
//
// 1:1 mappings of the plain ONNX ops a torch.onnx export of Hugging Face's
// Phi-3 contains (both the TorchScript and the dynamo exporter), opsets 13-23.
// Operands that later opsets moved from attributes to inputs (axes, split
// sizes) must be constants and become attributes.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Traits.h"

using namespace mlir;
using namespace mlir::phi;
using namespace mlir::phi::onnx_import;

namespace {

using Outs = SmallVectorImpl<Value>;

LogicalResult needInputs(Importer &im, ArrayRef<Value> ins, unsigned min,
                         unsigned max) {
  unsigned present = 0;
  for (unsigned i = 0; i < ins.size(); ++i)
    if (ins[i])
      present = i + 1;
  if (ins.size() < min || present > max)
    return im.nodeError() << "expected " << min
                          << (min == max ? "" : " to " + std::to_string(max))
                          << " inputs, got " << ins.size();
  for (unsigned i = 0; i < min; ++i)
    if (!ins[i])
      return im.nodeError() << "required input " << i << " is missing";
  return success();
}

Type elemOf(Value v) { return getElementTypeOrSelf(v.getType()); }

/// Broadcast shape of ranked operands, or nullopt.
std::optional<SmallVector<int64_t>> broadcastShape(ArrayRef<Value> vs) {
  SmallVector<int64_t> shape;
  bool first = true;
  for (Value v : vs) {
    auto s = shapeOf(v);
    if (!s)
      return std::nullopt;
    if (first) {
      shape = *s;
      first = false;
      continue;
    }
    SmallVector<int64_t> out;
    if (!OpTrait::util::getBroadcastedShape(shape, *s, out))
      return std::nullopt;
    shape = out;
  }
  return shape;
}

template <typename OpT>
Handler binary(bool boolResult = false) {
  return [boolResult](Importer &im, const pb::NodeProto &, ArrayRef<Value> ins,
                      Outs &outs) -> LogicalResult {
    if (failed(needInputs(im, ins, 2, 2)))
      return failure();
    if (!boolResult && !std::is_same_v<OpT, PowOp> &&
        elemOf(ins[0]) != elemOf(ins[1]))
      return im.nodeError() << "operand element types differ: "
                            << elemOf(ins[0]) << " vs " << elemOf(ins[1]);
    Type elem = boolResult ? im.b.getI1Type() : elemOf(ins[0]);
    auto shape = broadcastShape(ins);
    if (!shape && shapeOf(ins[0]) && shapeOf(ins[1]))
      return im.nodeError() << "operand shapes are not broadcast-compatible";
    Type rt = im.resultType(0, elem, shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                           : std::nullopt);
    outs.push_back(OpT::create(im.b, im.loc(), rt, ins[0], ins[1]));
    return success();
  };
}

/// LessOrEqual / GreaterOrEqual as not(greater) / not(less).
template <typename OpT>
Handler negatedCompare() {
  return [](Importer &im, const pb::NodeProto &n, ArrayRef<Value> ins,
            Outs &outs) -> LogicalResult {
    if (failed(binary<OpT>(true)(im, n, ins, outs)))
      return failure();
    outs[0] = NotOp::create(im.b, im.loc(), outs[0].getType(), outs[0]);
    return success();
  };
}

template <typename OpT>
Handler unary(bool floatOnly) {
  return [floatOnly](Importer &im, const pb::NodeProto &, ArrayRef<Value> ins,
                     Outs &outs) -> LogicalResult {
    if (failed(needInputs(im, ins, 1, 1)))
      return failure();
    if (floatOnly && !isa<FloatType>(elemOf(ins[0])))
      return im.nodeError() << "expects a floating-point input, got "
                            << elemOf(ins[0]);
    auto s = shapeOf(ins[0]);
    Type rt = im.resultType(0, elemOf(ins[0]),
                            s ? std::optional<ArrayRef<int64_t>>(*s) : std::nullopt);
    outs.push_back(OpT::create(im.b, im.loc(), rt, ins[0]));
    return success();
  };
}

/// Axes from the attribute (older opsets) or the constant second input.
FailureOr<std::optional<SmallVector<int64_t>>>
axesOf(Importer &im, ArrayRef<Value> ins, unsigned inputIdx) {
  if (im.attr("axes")) {
    auto a = im.intsAttr("axes");
    if (failed(a))
      return failure();
    return std::optional<SmallVector<int64_t>>(*a);
  }
  if (ins.size() > inputIdx && ins[inputIdx]) {
    auto c = im.constInts(ins[inputIdx]);
    if (!c)
      return im.nodeError() << "axes must be a constant", failure();
    return std::optional<SmallVector<int64_t>>(*c);
  }
  return std::optional<SmallVector<int64_t>>();
}

template <typename OpT>
Handler reduce() {
  return [](Importer &im, const pb::NodeProto &, ArrayRef<Value> ins,
            Outs &outs) -> LogicalResult {
    if (failed(needInputs(im, ins, 1, 2)))
      return failure();
    auto axes = axesOf(im, ins, 1);
    auto keep = im.intAttr("keepdims", 1);
    auto noop = im.intAttr("noop_with_empty_axes", 0);
    if (failed(axes) || failed(keep) || failed(noop))
      return failure();
    SmallVector<int64_t> ax = axes->value_or(SmallVector<int64_t>());
    if (ax.empty()) {
      if (*noop)
        return im.nodeError() << "noop_with_empty_axes is not supported";
      auto s = shapeOf(ins[0]);
      if (!s)
        return im.nodeError() << "reducing all axes needs a ranked input";
      for (int64_t i = 0; i < (int64_t)s->size(); ++i)
        ax.push_back(i);
    }
    std::optional<SmallVector<int64_t>> shape;
    if (auto s = shapeOf(ins[0])) {
      int64_t r = s->size();
      SmallVector<bool> red(r, false);
      for (int64_t a : ax) {
        int64_t n = a < 0 ? a + r : a;
        if (n < 0 || n >= r)
          return im.nodeError() << "axis " << a << " is out of range for rank "
                                << r;
        red[n] = true;
      }
      shape.emplace();
      for (int64_t i = 0; i < r; ++i)
        if (!red[i])
          shape->push_back((*s)[i]);
        else if (*keep)
          shape->push_back(1);
    }
    Type rt = im.resultType(0, elemOf(ins[0]),
                            shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                  : std::nullopt);
    outs.push_back(OpT::create(im.b, im.loc(), rt, ins[0],
                               im.b.getDenseI64ArrayAttr(ax),
                               im.b.getBoolAttr(*keep != 0)));
    return success();
  };
}

LogicalResult importConstant(Importer &im, const pb::NodeProto &n,
                             ArrayRef<Value> ins, Outs &outs) {
  if (n.attribute_size() != 1)
    return im.nodeError() << "expects exactly one value attribute";
  const pb::AttributeProto &a = n.attribute(0);
  OpBuilder &b = im.b;
  if (a.name() == "value" && a.type() == pb::AttributeProto::TENSOR) {
    FailureOr<Value> v = im.materialize(a.t(), n.output_size() ? n.output(0) : "");
    if (failed(v))
      return failure();
    outs.push_back(*v);
    return success();
  }
  Attribute attr;
  if (a.name() == "value_float" && a.type() == pb::AttributeProto::FLOAT)
    attr = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                  a.f());
  else if (a.name() == "value_int" && a.type() == pb::AttributeProto::INT)
    attr = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                  (int64_t)a.i());
  else if (a.name() == "value_ints" && a.type() == pb::AttributeProto::INTS)
    attr = DenseElementsAttr::get(
        RankedTensorType::get({a.ints_size()}, b.getI64Type()),
        ArrayRef<int64_t>(a.ints().data(), a.ints_size()));
  else if (a.name() == "value_floats" && a.type() == pb::AttributeProto::FLOATS)
    attr = DenseElementsAttr::get(
        RankedTensorType::get({a.floats_size()}, b.getF32Type()),
        ArrayRef<float>(a.floats().data(), a.floats_size()));
  else
    return im.nodeError() << "unsupported constant attribute '" << a.name()
                          << "'";
  outs.push_back(arith::ConstantOp::create(b, im.loc(), cast<TypedAttr>(attr)));
  return success();
}

LogicalResult importCast(Importer &im, const pb::NodeProto &n,
                         ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 1)))
    return failure();
  auto to = im.intAttr("to", std::nullopt);
  if (failed(to))
    return failure();
  FailureOr<Type> elem = im.elementType(*to, "attribute 'to'");
  if (failed(elem))
    return failure();
  auto s = shapeOf(ins[0]);
  Type rt = im.resultType(0, *elem,
                          s ? std::optional<ArrayRef<int64_t>>(*s) : std::nullopt);
  outs.push_back(CastOp::create(im.b, im.loc(), rt, ins[0]));
  return success();
}

LogicalResult importIdentity(Importer &im, const pb::NodeProto &,
                             ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 1)))
    return failure();
  outs.push_back(ins[0]);
  return success();
}

LogicalResult importWhere(Importer &im, const pb::NodeProto &,
                          ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 3, 3)))
    return failure();
  if (!elemOf(ins[0]).isInteger(1))
    return im.nodeError() << "condition must be bool";
  if (elemOf(ins[1]) != elemOf(ins[2]))
    return im.nodeError() << "x and y element types differ";
  auto shape = broadcastShape(ins);
  Type rt = im.resultType(0, elemOf(ins[1]),
                          shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                : std::nullopt);
  outs.push_back(WhereOp::create(im.b, im.loc(), rt, ins[0], ins[1], ins[2]));
  return success();
}

LogicalResult importMatMul(Importer &im, const pb::NodeProto &,
                           ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 2, 2)))
    return failure();
  if (!isa<FloatType>(elemOf(ins[0])) || elemOf(ins[0]) != elemOf(ins[1]))
    return im.nodeError() << "expects two float inputs of one type, got "
                          << elemOf(ins[0]) << " and " << elemOf(ins[1]);
  std::optional<SmallVector<int64_t>> shape;
  auto l = shapeOf(ins[0]), r = shapeOf(ins[1]);
  if (l && r && l->size() >= 2 && r->size() >= 2) {
    int64_t kl = l->back(), kr = (*r)[r->size() - 2];
    if (!ShapedType::isDynamic(kl) && !ShapedType::isDynamic(kr) && kl != kr)
      return im.nodeError() << "contracting dimensions differ: " << kl
                            << " vs " << kr;
    SmallVector<int64_t> batch;
    if (!OpTrait::util::getBroadcastedShape(ArrayRef(*l).drop_back(2),
                                            ArrayRef(*r).drop_back(2), batch))
      return im.nodeError() << "batch dimensions are not broadcast-compatible";
    batch.push_back((*l)[l->size() - 2]);
    batch.push_back(r->back());
    shape = batch;
  }
  Type rt = im.resultType(0, elemOf(ins[0]),
                          shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                : std::nullopt);
  outs.push_back(MatMulOp::create(im.b, im.loc(), rt, ins[0], ins[1]));
  return success();
}

LogicalResult importSoftmax(Importer &im, const pb::NodeProto &,
                            ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 1)))
    return failure();
  auto axis = im.intAttr("axis", -1);
  if (failed(axis))
    return failure();
  outs.push_back(SoftmaxOp::create(im.b, im.loc(), ins[0].getType(), ins[0],
                                   im.b.getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult importReshape(Importer &im, const pb::NodeProto &,
                            ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 2, 2)))
    return failure();
  auto allowzero = im.intAttr("allowzero", 0);
  if (failed(allowzero))
    return failure();
  std::optional<SmallVector<int64_t>> shape;
  if (auto c = im.constInts(ins[1])) {
    if (*allowzero && llvm::is_contained(*c, 0))
      return im.nodeError() << "allowzero = 1 with a zero in the shape is not "
                               "supported";
    shape.emplace();
    auto in = shapeOf(ins[0]);
    for (auto [i, d] : llvm::enumerate(*c))
      shape->push_back(d == 0 && in && i < in->size() ? (*in)[i]
                       : d <= 0                        ? ShapedType::kDynamic
                                                       : d);
  } else if (auto s = shapeOf(ins[1]); s && s->size() == 1 &&
                                       !ShapedType::isDynamic((*s)[0])) {
    shape = SmallVector<int64_t>((*s)[0], ShapedType::kDynamic);
  }
  Type rt = im.resultType(0, elemOf(ins[0]),
                          shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                : std::nullopt);
  outs.push_back(ReshapeOp::create(im.b, im.loc(), rt, ins[0], ins[1]));
  return success();
}

LogicalResult importTranspose(Importer &im, const pb::NodeProto &,
                              ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 1)))
    return failure();
  auto s = shapeOf(ins[0]);
  SmallVector<int64_t> perm;
  if (im.attr("perm")) {
    auto p = im.intsAttr("perm");
    if (failed(p))
      return failure();
    perm = *p;
  } else if (s) {
    for (int64_t i = s->size() - 1; i >= 0; --i)
      perm.push_back(i);
  } else {
    return im.nodeError() << "a default perm needs a ranked input";
  }
  std::optional<SmallVector<int64_t>> shape;
  if (s) {
    if (perm.size() != s->size())
      return im.nodeError() << "perm has " << perm.size()
                            << " entries for rank " << s->size();
    shape.emplace();
    for (int64_t p : perm) {
      if (p < 0 || p >= (int64_t)s->size())
        return im.nodeError() << "perm entry " << p << " is out of range";
      shape->push_back((*s)[p]);
    }
  }
  Type rt = im.resultType(0, elemOf(ins[0]),
                          shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                : std::nullopt);
  outs.push_back(TransposeOp::create(im.b, im.loc(), rt, ins[0],
                                     im.b.getDenseI64ArrayAttr(perm)));
  return success();
}

LogicalResult importConcat(Importer &im, const pb::NodeProto &,
                           ArrayRef<Value> ins, Outs &outs) {
  if (ins.empty() || llvm::any_of(ins, [](Value v) { return !v; }))
    return im.nodeError() << "expects at least one input and no empty ones";
  auto axis = im.intAttr("axis", std::nullopt);
  if (failed(axis))
    return failure();
  for (Value v : ins)
    if (elemOf(v) != elemOf(ins[0]))
      return im.nodeError() << "inputs have different element types";
  std::optional<SmallVector<int64_t>> shape = shapeOf(ins[0]);
  if (shape) {
    int64_t r = shape->size();
    int64_t a = *axis < 0 ? *axis + r : *axis;
    if (a < 0 || a >= r)
      return im.nodeError() << "axis " << *axis << " is out of range for rank "
                            << r;
    int64_t sum = 0;
    for (Value v : ins) {
      auto s = shapeOf(v);
      if (!s || (int64_t)s->size() != r) {
        shape.reset();
        break;
      }
      sum = ShapedType::isDynamic(sum) || ShapedType::isDynamic((*s)[a])
                ? ShapedType::kDynamic
                : sum + (*s)[a];
      for (int64_t d = 0; d < r; ++d)
        if (d != a && ShapedType::isDynamic((*shape)[d]))
          (*shape)[d] = (*s)[d];
    }
    if (shape)
      (*shape)[a] = sum;
  }
  Type rt = im.resultType(0, elemOf(ins[0]),
                          shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                : std::nullopt);
  outs.push_back(ConcatOp::create(im.b, im.loc(), rt, ins,
                                  im.b.getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult importSplit(Importer &im, const pb::NodeProto &n,
                          ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 2)))
    return failure();
  auto axis = im.intAttr("axis", 0);
  if (failed(axis))
    return failure();
  int64_t num = n.output_size();
  auto s = shapeOf(ins[0]);
  SmallVector<int64_t> sizes;
  if (im.attr("split")) {
    auto a = im.intsAttr("split");
    if (failed(a))
      return failure();
    sizes = *a;
  } else if (ins.size() > 1 && ins[1]) {
    auto c = im.constInts(ins[1]);
    if (!c)
      return im.nodeError() << "split sizes must be a constant";
    sizes = *c;
  } else {
    if (!s)
      return im.nodeError() << "an even split needs a ranked input";
    int64_t r = s->size(), a = *axis < 0 ? *axis + r : *axis;
    if (a < 0 || a >= r || ShapedType::isDynamic((*s)[a]))
      return im.nodeError() << "an even split needs a static split axis";
    int64_t d = (*s)[a], chunk = (d + num - 1) / num;
    for (int64_t i = 0; i < num; ++i)
      sizes.push_back(std::min(chunk, d - i * chunk));
  }
  if ((int64_t)sizes.size() != num)
    return im.nodeError() << sizes.size() << " split sizes for " << num
                          << " outputs";
  SmallVector<Type> types;
  for (int64_t i = 0; i < num; ++i) {
    std::optional<SmallVector<int64_t>> shape;
    if (s) {
      int64_t r = s->size(), a = *axis < 0 ? *axis + r : *axis;
      if (a < 0 || a >= r)
        return im.nodeError() << "axis " << *axis
                              << " is out of range for rank " << r;
      shape = *s;
      (*shape)[a] = sizes[i];
    }
    types.push_back(im.resultType(i, elemOf(ins[0]),
                                  shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                        : std::nullopt));
  }
  auto op = SplitOp::create(im.b, im.loc(), types, ins[0],
                            im.b.getI64IntegerAttr(*axis),
                            im.b.getDenseI64ArrayAttr(sizes));
  outs.append(op.getResults().begin(), op.getResults().end());
  return success();
}

LogicalResult importSlice(Importer &im, const pb::NodeProto &,
                          ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 3, 5)))
    return failure();
  for (unsigned i = 1; i < ins.size(); ++i)
    if (ins[i] && !elemOf(ins[i]).isInteger(64) && !elemOf(ins[i]).isInteger(32))
      return im.nodeError() << "slice bounds must be i32 or i64";
  std::optional<SmallVector<int64_t>> shape;
  if (auto s = shapeOf(ins[0]))
    shape = SmallVector<int64_t>(s->size(), ShapedType::kDynamic);
  Type rt = im.resultType(0, elemOf(ins[0]),
                          shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                : std::nullopt);
  Value axes = ins.size() > 3 ? ins[3] : Value();
  Value steps = ins.size() > 4 ? ins[4] : Value();
  outs.push_back(
      SliceOp::create(im.b, im.loc(), rt, ins[0], ins[1], ins[2], axes, steps));
  return success();
}

LogicalResult importGather(Importer &im, const pb::NodeProto &,
                           ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 2, 2)))
    return failure();
  auto axis = im.intAttr("axis", 0);
  if (failed(axis))
    return failure();
  if (!elemOf(ins[1]).isInteger(64) && !elemOf(ins[1]).isInteger(32))
    return im.nodeError() << "indices must be i32 or i64, got " << elemOf(ins[1]);
  std::optional<SmallVector<int64_t>> shape;
  auto d = shapeOf(ins[0]), i = shapeOf(ins[1]);
  if (d && i) {
    int64_t r = d->size(), a = *axis < 0 ? *axis + r : *axis;
    if (a < 0 || a >= r)
      return im.nodeError() << "axis " << *axis << " is out of range for rank "
                            << r;
    shape.emplace(d->begin(), d->begin() + a);
    shape->append(i->begin(), i->end());
    shape->append(d->begin() + a + 1, d->end());
  }
  Type rt = im.resultType(0, elemOf(ins[0]),
                          shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                : std::nullopt);
  // A gather of rows from a [vocab, hidden] weight by token ids is the
  // embedding lookup.
  if (*axis == 0 && ins[0].getDefiningOp<WeightOp>() && d && d->size() == 2) {
    outs.push_back(EmbeddingOp::create(im.b, im.loc(), rt, ins[0], ins[1]));
    return success();
  }
  outs.push_back(GatherOp::create(im.b, im.loc(), rt, ins[0], ins[1],
                                  im.b.getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult importGatherND(Importer &im, const pb::NodeProto &,
                             ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 2, 2)))
    return failure();
  auto bd = im.intAttr("batch_dims", 0);
  if (failed(bd))
    return failure();
  if (!elemOf(ins[1]).isInteger(64))
    return im.nodeError() << "indices must be i64";
  Type rt = im.resultType(0, elemOf(ins[0]));
  outs.push_back(GatherNDOp::create(im.b, im.loc(), rt, ins[0], ins[1],
                                    im.b.getI64IntegerAttr(*bd)));
  return success();
}

LogicalResult importExpand(Importer &im, const pb::NodeProto &,
                           ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 2, 2)))
    return failure();
  if (!elemOf(ins[1]).isInteger(64))
    return im.nodeError() << "shape must be i64";
  Type rt = im.resultType(0, elemOf(ins[0]));
  outs.push_back(ExpandOp::create(im.b, im.loc(), rt, ins[0], ins[1]));
  return success();
}

template <typename OpT, bool isUnsqueeze>
LogicalResult importSqueezeLike(Importer &im, const pb::NodeProto &,
                                ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 2)))
    return failure();
  auto axes = axesOf(im, ins, 1);
  if (failed(axes))
    return failure();
  auto s = shapeOf(ins[0]);
  SmallVector<int64_t> ax;
  if (*axes) {
    ax = **axes;
  } else if (!isUnsqueeze && s) {
    for (auto [i, d] : llvm::enumerate(*s))
      if (d == 1)
        ax.push_back(i);
  } else {
    return im.nodeError() << "axes are required";
  }
  std::optional<SmallVector<int64_t>> shape;
  if (s) {
    int64_t r = s->size() + (isUnsqueeze ? ax.size() : 0);
    SmallVector<bool> mark(r, false);
    for (int64_t a : ax) {
      int64_t n = a < 0 ? a + r : a;
      if (n < 0 || n >= r)
        return im.nodeError() << "axis " << a << " is out of range for rank "
                              << r;
      mark[n] = true;
    }
    shape.emplace();
    auto it = s->begin();
    for (int64_t i = 0; i < r; ++i) {
      if (isUnsqueeze)
        shape->push_back(mark[i] ? 1 : *it++);
      else if (!mark[i])
        shape->push_back((*s)[i]);
    }
  }
  Type rt = im.resultType(0, elemOf(ins[0]),
                          shape ? std::optional<ArrayRef<int64_t>>(*shape)
                                : std::nullopt);
  outs.push_back(
      OpT::create(im.b, im.loc(), rt, ins[0], im.b.getDenseI64ArrayAttr(ax)));
  return success();
}

LogicalResult importShape(Importer &im, const pb::NodeProto &,
                          ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 1)))
    return failure();
  auto start = im.intAttr("start", 0);
  if (failed(start))
    return failure();
  std::optional<int64_t> end;
  if (im.attr("end")) {
    auto e = im.intAttr("end", std::nullopt);
    if (failed(e))
      return failure();
    end = *e;
  }
  int64_t len = ShapedType::kDynamic;
  if (auto s = shapeOf(ins[0])) {
    int64_t r = s->size();
    auto clampDim = [r](int64_t v) {
      return std::clamp<int64_t>(v < 0 ? v + r : v, 0, r);
    };
    len = std::max<int64_t>(0, (end ? clampDim(*end) : r) - clampDim(*start));
  }
  Type rt = RankedTensorType::get({len}, im.b.getI64Type());
  outs.push_back(ShapeOp::create(im.b, im.loc(), rt, ins[0],
                                 im.b.getI64IntegerAttr(*start),
                                 end ? im.b.getI64IntegerAttr(*end) : IntegerAttr()));
  return success();
}

LogicalResult importConstantOfShape(Importer &im, const pb::NodeProto &,
                                    ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 1)))
    return failure();
  TypedAttr value = im.b.getF32FloatAttr(0.0f);
  if (const pb::AttributeProto *a = im.attr("value")) {
    if (a->type() != pb::AttributeProto::TENSOR)
      return im.nodeError() << "attribute 'value' must be a tensor";
    FailureOr<TensorBytes> data = im.tensorBytes(a->t());
    if (failed(data))
      return failure();
    if (data->bytes.size() != (size_t)(data->elementType.isInteger(1)
                                           ? 1
                                           : data->elementType.getIntOrFloatBitWidth() / 8))
      return im.nodeError() << "attribute 'value' must hold one element";
    auto attr = DenseElementsAttr::getFromRawBuffer(
        RankedTensorType::get({}, data->elementType),
        ArrayRef<char>(data->bytes.data(), data->bytes.size()));
    value = cast<TypedAttr>(*attr.value_begin<Attribute>());
  }
  int64_t rank = ShapedType::kDynamic;
  if (auto s = shapeOf(ins[0]); s && s->size() == 1)
    rank = (*s)[0];
  if (ShapedType::isDynamic(rank))
    return im.nodeError() << "the shape operand must have a static length";
  auto rt = RankedTensorType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                                  value.getType());
  outs.push_back(ConstantOfShapeOp::create(im.b, im.loc(), rt, ins[0], value));
  return success();
}

LogicalResult importRange(Importer &im, const pb::NodeProto &,
                          ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 3, 3)))
    return failure();
  Type rt = RankedTensorType::get({ShapedType::kDynamic}, elemOf(ins[0]));
  outs.push_back(RangeOp::create(im.b, im.loc(), rt, ins[0], ins[1], ins[2]));
  return success();
}

LogicalResult importTrilu(Importer &im, const pb::NodeProto &,
                          ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 2)))
    return failure();
  auto upper = im.intAttr("upper", 1);
  if (failed(upper))
    return failure();
  int64_t k = 0;
  if (ins.size() > 1 && ins[1]) {
    auto c = im.constInts(ins[1]);
    if (!c || c->size() != 1)
      return im.nodeError() << "k must be a scalar constant";
    k = (*c)[0];
  }
  outs.push_back(TriluOp::create(im.b, im.loc(), ins[0].getType(), ins[0],
                                 im.b.getBoolAttr(*upper != 0),
                                 im.b.getI64IntegerAttr(k)));
  return success();
}

LogicalResult importFlatten(Importer &im, const pb::NodeProto &,
                            ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 1, 1)))
    return failure();
  auto axis = im.intAttr("axis", 1);
  if (failed(axis))
    return failure();
  Type rt = im.resultType(
      0, elemOf(ins[0]),
      SmallVector<int64_t>{ShapedType::kDynamic, ShapedType::kDynamic});
  outs.push_back(FlattenOp::create(im.b, im.loc(), rt, ins[0],
                                   im.b.getI64IntegerAttr(*axis)));
  return success();
}

/// SimplifiedLayerNormalization (onnxruntime registers it in the ai.onnx
/// domain): RMSNorm over the last axis.
LogicalResult importSimplifiedLayerNorm(Importer &im, const pb::NodeProto &n,
                                        ArrayRef<Value> ins, Outs &outs) {
  if (failed(needInputs(im, ins, 2, 2)))
    return failure();
  auto eps = im.floatAttr("epsilon", 1e-5f);
  auto axis = im.intAttr("axis", -1);
  if (failed(eps) || failed(axis))
    return failure();
  auto s = shapeOf(ins[0]);
  if (*axis != -1 && !(s && *axis == (int64_t)s->size() - 1))
    return im.nodeError() << "only normalization over the last axis is supported";
  if (n.output_size() > 1)
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty())
        return im.nodeError() << "the inv_std_var output is not supported";
  outs.push_back(RMSNormOp::create(im.b, im.loc(), TypeRange{ins[0].getType()},
                                   ins[0], ins[1], Value(),
                                   im.b.getF32FloatAttr(*eps))
                     .getOutput());
  return success();
}

} // namespace

void Importer::registerStandardOps(llvm::StringMap<Handler> &t) {
  auto add = [&](llvm::StringRef op, Handler h) {
    t[("ai.onnx::" + op).str()] = std::move(h);
  };
  add("Add", binary<AddOp>());
  add("Sub", binary<SubOp>());
  add("Mul", binary<MulOp>());
  add("Div", binary<DivOp>());
  add("Pow", binary<PowOp>());
  add("Max", binary<MaxOp>());
  add("Min", binary<MinOp>());
  add("Equal", binary<EqualOp>(true));
  add("Less", binary<LessOp>(true));
  add("Greater", binary<GreaterOp>(true));
  add("LessOrEqual", negatedCompare<GreaterOp>());
  add("GreaterOrEqual", negatedCompare<LessOp>());
  add("And", binary<AndOp>(true));
  add("Or", binary<OrOp>(true));
  add("Not", unary<NotOp>(false));
  add("Neg", unary<NegOp>(false));
  add("Abs", unary<AbsOp>(false));
  add("Sqrt", unary<SqrtOp>(true));
  add("Reciprocal", unary<ReciprocalOp>(true));
  add("Exp", unary<ExpOp>(true));
  add("Log", unary<LogOp>(true));
  add("Cos", unary<CosOp>(true));
  add("Sin", unary<SinOp>(true));
  add("Tanh", unary<TanhOp>(true));
  add("Sigmoid", unary<SigmoidOp>(true));
  add("ReduceMean", reduce<ReduceMeanOp>());
  add("ReduceSum", reduce<ReduceSumOp>());
  add("ReduceMax", reduce<ReduceMaxOp>());
  add("Constant", importConstant);
  add("Cast", importCast);
  add("Identity", importIdentity);
  add("Where", importWhere);
  add("MatMul", importMatMul);
  add("Softmax", importSoftmax);
  add("Reshape", importReshape);
  add("Transpose", importTranspose);
  add("Concat", importConcat);
  add("Split", importSplit);
  add("Slice", importSlice);
  add("Gather", importGather);
  add("GatherND", importGatherND);
  add("Expand", importExpand);
  add("Unsqueeze", importSqueezeLike<UnsqueezeOp, true>);
  add("Squeeze", importSqueezeLike<SqueezeOp, false>);
  add("Shape", importShape);
  add("ConstantOfShape", importConstantOfShape);
  add("Range", importRange);
  add("Trilu", importTrilu);
  add("Flatten", importFlatten);
  add("SimplifiedLayerNormalization", importSimplifiedLayerNorm);
}
