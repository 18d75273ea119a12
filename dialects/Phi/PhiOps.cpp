//===- PhiOps.cpp - phi dialect operations --------------------------------===//
//
// Verifiers. Shapes follow ONNX: ranked or unranked, dynamic dims allowed, so
// every check compares only what is statically known. Messages are short,
// lowercase, and name the offending sizes.
//
//===----------------------------------------------------------------------===//

#include "phi/Dialect/Phi/PhiOps.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

using namespace mlir;
using namespace mlir::phi;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

namespace {

RankedTensorType ranked(Type t) { return dyn_cast<RankedTensorType>(t); }

bool staticEq(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Normalizes a possibly negative axis; returns failure when out of range.
FailureOr<int64_t> normalizeAxis(Operation *op, int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    return op->emitOpError() << "axis " << axis << " is out of range for rank "
                             << rank;
  return a;
}

/// Checks that `axes` are in range for `rank` and unique.
LogicalResult verifyAxes(Operation *op, ArrayRef<int64_t> axes, int64_t rank) {
  llvm::SmallSet<int64_t, 8> seen;
  for (int64_t axis : axes) {
    FailureOr<int64_t> a = normalizeAxis(op, axis, rank);
    if (failed(a))
      return failure();
    if (!seen.insert(*a).second)
      return op->emitOpError() << "axes must be unique";
  }
  return success();
}

/// Numpy broadcasting of ranked operands; the result, if ranked, must be
/// compatible with the broadcast shape.
LogicalResult verifyBroadcast(Operation *op, TypeRange operands, Type result) {
  SmallVector<int64_t> shape;
  bool first = true;
  for (Type t : operands) {
    auto rt = ranked(t);
    if (!rt)
      return success();
    if (first) {
      shape.assign(rt.getShape().begin(), rt.getShape().end());
      first = false;
      continue;
    }
    SmallVector<int64_t> out;
    if (!OpTrait::util::getBroadcastedShape(shape, rt.getShape(), out))
      return op->emitOpError() << "operand shapes are not broadcast-compatible";
    shape = out;
  }
  if (auto rr = ranked(result))
    if (failed(verifyCompatibleShape(rr.getShape(), shape)))
      return op->emitOpError()
             << "result shape does not match the broadcast operand shape";
  return success();
}

LogicalResult verifySameShape(Operation *op, Type a, Type b, StringRef what) {
  auto ra = ranked(a), rb = ranked(b);
  if (ra && rb && failed(verifyCompatibleShape(ra.getShape(), rb.getShape())))
    return op->emitOpError() << what;
  return success();
}

LogicalResult verifyElementTypes(Operation *op, Type a, Type b, StringRef what) {
  if (getElementTypeOrSelf(a) != getElementTypeOrSelf(b))
    return op->emitOpError() << what << ": " << getElementTypeOrSelf(a)
                             << " vs " << getElementTypeOrSelf(b);
  return success();
}

LogicalResult verifyOneDim(Operation *op, Type t, StringRef name) {
  if (auto rt = ranked(t); rt && rt.getRank() != 1)
    return op->emitOpError() << name << " must be a 1-D tensor";
  return success();
}

/// Arithmetic binary ops: same element types everywhere (Pow excepted: ONNX
/// lets its exponent differ), broadcast-compatible shapes.
template <typename OpT>
LogicalResult verifyArithBinary(OpT op, bool exponent = false) {
  if (!exponent && failed(verifyElementTypes(op, op.getLhs().getType(),
                                             op.getRhs().getType(),
                                             "operand element types differ")))
    return failure();
  if (failed(verifyElementTypes(op, op.getLhs().getType(), op.getType(),
                                "result element type must match the operands")))
    return failure();
  return verifyBroadcast(op, op->getOperandTypes(), op.getType());
}

template <typename OpT>
LogicalResult verifyCompare(OpT op) {
  if (failed(verifyElementTypes(op, op.getLhs().getType(),
                                op.getRhs().getType(),
                                "operand element types differ")))
    return failure();
  return verifyBroadcast(op, op->getOperandTypes(), op.getType());
}

template <typename OpT>
LogicalResult verifyUnary(OpT op) {
  return verifySameShape(op, op.getInput().getType(), op.getType(),
                         "result shape must match the input shape");
}

template <typename OpT>
LogicalResult verifyReduce(OpT op) {
  auto in = ranked(op.getInput().getType());
  if (!in)
    return success();
  if (failed(verifyAxes(op, op.getAxes(), in.getRank())))
    return failure();
  auto out = ranked(op.getType());
  if (!out)
    return success();
  int64_t want = op.getKeepdims() ? in.getRank()
                                  : in.getRank() - (int64_t)op.getAxes().size();
  if (out.getRank() != want)
    return op.emitOpError() << "result rank must be " << want;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Weights and fused ops
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError() << "weight name must not be empty";
  return success();
}

LogicalResult EmbeddingOp::verify() {
  auto table = ranked(getTable().getType());
  if (table && table.getRank() != 2)
    return emitOpError() << "table must be rank 2 [vocab, hidden]";
  if (failed(verifyElementTypes(*this, getTable().getType(), getType(),
                                "result element type must match the table")))
    return failure();
  auto ids = ranked(getIds().getType());
  auto res = ranked(getType());
  if (ids && res && table) {
    SmallVector<int64_t> want(ids.getShape());
    want.push_back(table.getDimSize(1));
    if (failed(verifyCompatibleShape(res.getShape(), want)))
      return emitOpError() << "result must have shape ids.shape + [hidden]";
  }
  return success();
}

LogicalResult RMSNormOp::verify() {
  if (getEpsilon().convertToFloat() <= 0.0f)
    return emitOpError() << "epsilon must be positive";
  auto in = ranked(getInput().getType());
  auto w = ranked(getWeight().getType());
  if (w && w.getRank() != 1)
    return emitOpError() << "weight must be a 1-D tensor";
  if (in && w && in.getRank() > 0 &&
      !staticEq(w.getDimSize(0), in.getDimSize(in.getRank() - 1)))
    return emitOpError() << "weight size " << w.getDimSize(0)
                         << " does not match the normalized dimension "
                         << in.getDimSize(in.getRank() - 1);
  if (failed(verifySameShape(*this, getInput().getType(), getOutput().getType(),
                             "output shape must match the input shape")))
    return failure();
  if (getSkip() &&
      failed(verifySameShape(*this, getInput().getType(), getSkip().getType(),
                             "skip shape must match the input shape")))
    return failure();
  if (getResidual() && !getSkip())
    return emitOpError() << "residual result requires a skip operand";
  return success();
}

LogicalResult MatMulOp::verify() {
  // Half-precision operands may produce an f32 result (logits, fp16 policy).
  Type le = getElementTypeOrSelf(getLhs().getType());
  bool widened = (le.isF16() || le.isBF16()) &&
                 getElementTypeOrSelf(getType()).isF32();
  if (failed(verifyElementTypes(*this, getLhs().getType(), getRhs().getType(),
                                "operand element types differ")) ||
      (!widened &&
       failed(verifyElementTypes(*this, getLhs().getType(), getType(),
                                 "result element type must match the operands"))))
    return failure();
  auto l = ranked(getLhs().getType()), r = ranked(getRhs().getType());
  if (!l || !r)
    return success();
  if (l.getRank() < 2 || r.getRank() < 2)
    return emitOpError() << "operands must have rank >= 2";
  int64_t kl = l.getDimSize(l.getRank() - 1), kr = r.getDimSize(r.getRank() - 2);
  if (!staticEq(kl, kr))
    return emitOpError() << "contracting dimensions differ: lhs has " << kl
                         << ", rhs has " << kr;
  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(l.getShape().drop_back(2),
                                          r.getShape().drop_back(2), batch))
    return emitOpError() << "batch dimensions are not broadcast-compatible";
  batch.push_back(l.getDimSize(l.getRank() - 2));
  batch.push_back(r.getDimSize(r.getRank() - 1));
  if (auto res = ranked(getType());
      res && failed(verifyCompatibleShape(res.getShape(), batch)))
    return emitOpError() << "result shape does not match the matmul shape";
  return success();
}

LogicalResult MatMulNBitsOp::verify() {
  int64_t bits = getBits();
  if (bits != 2 && bits != 4 && bits != 8)
    return emitOpError() << "bits must be 2, 4 or 8, got " << bits;
  int64_t blocks = getNumBlocks(), blob = getBlobSize(), n = getN(), k = getK();
  if (auto b = ranked(getB().getType())) {
    if (b.getRank() != 3 || !staticEq(b.getDimSize(0), n) ||
        !staticEq(b.getDimSize(1), blocks) || !staticEq(b.getDimSize(2), blob))
      return emitOpError() << "b must have shape [n, blocks, blob_size] = ["
                           << n << ", " << blocks << ", " << blob << "]";
  }
  if (auto s = ranked(getScales().getType())) {
    if (s.hasStaticShape() && s.getNumElements() != n * blocks)
      return emitOpError() << "scales must have n * blocks = " << n * blocks
                           << " elements";
  }
  if (Value zp = getZeroPoints()) {
    auto z = ranked(zp.getType());
    Type ze = getElementTypeOrSelf(zp.getType());
    if (ze.isUnsignedInteger(8)) {
      int64_t want = n * ((blocks * bits + 7) / 8);
      if (z && z.hasStaticShape() && z.getNumElements() != want)
        return emitOpError() << "packed zero_points must have " << want
                             << " elements";
    } else if (ze == getElementTypeOrSelf(getScales().getType())) {
      if (z && z.hasStaticShape() && z.getNumElements() != n * blocks)
        return emitOpError() << "float zero_points must have " << n * blocks
                             << " elements";
    } else {
      return emitOpError()
             << "zero_points must be ui8 or have the scales' element type";
    }
  }
  if (failed(verifyElementTypes(*this, getInput().getType(), getType(),
                                "result element type must match the input")))
    return failure();
  auto in = ranked(getInput().getType());
  if (in && (in.getRank() < 1 || !staticEq(in.getDimSize(in.getRank() - 1), k)))
    return emitOpError() << "input's last dimension must equal k = " << k;
  if (auto res = ranked(getType())) {
    if (res.getRank() < 1 || !staticEq(res.getDimSize(res.getRank() - 1), n))
      return emitOpError() << "result's last dimension must equal n = " << n;
    if (in && res.getRank() != in.getRank())
      return emitOpError() << "result rank must match the input rank";
  }
  return success();
}

LogicalResult RotaryOp::verify() {
  if (getTheta().convertToFloat() <= 0.0f)
    return emitOpError() << "theta must be positive";
  int64_t rd = getRotaryDim();
  if (rd % 2)
    return emitOpError() << "rotary_dim must be even";
  auto in = ranked(getInput().getType());
  if (in && in.getRank() != 4)
    return emitOpError() << "input must be rank 4 [batch, heads, seq, head_dim]";
  if (in && !ShapedType::isDynamic(in.getDimSize(3)) && rd > in.getDimSize(3))
    return emitOpError() << "rotary_dim " << rd
                         << " exceeds the head dimension " << in.getDimSize(3);
  if (auto pos = ranked(getPositionIds().getType()); pos && pos.getRank() != 2)
    return emitOpError() << "position_ids must be rank 2 [batch, seq]";
  for (auto [name, f] : {std::make_pair("short_factor", getShortFactor()),
                         std::make_pair("long_factor", getLongFactor())})
    if (f && (int64_t)f->size() != rd / 2)
      return emitOpError() << name << " must have rotary_dim / 2 = " << rd / 2
                           << " entries";
  if (getLongFactor() && (!getShortFactor() || !getOriginalMaxPositions()))
    return emitOpError()
           << "long_factor requires short_factor and original_max_positions";
  if (getInput().getType() != getType())
    return emitOpError() << "result type must match the input type";
  return success();
}

LogicalResult AttentionOp::verify() {
  int64_t h = getNumHeads(), hkv = getNumKvHeads();
  if (h % hkv)
    return emitOpError() << "num_heads (" << h
                         << ") must be a multiple of num_kv_heads (" << hkv
                         << ")";
  if ((bool)getPastKey() != (bool)getPastValue())
    return emitOpError() << "past_key and past_value must be given together";
  auto q = ranked(getQ().getType()), k = ranked(getK().getType()),
       v = ranked(getV().getType());
  for (auto t : {q, k, v})
    if (t && t.getRank() != 4)
      return emitOpError()
             << "q, k and v must be rank 4 [batch, heads, seq, head_dim]";
  if (q && !staticEq(q.getDimSize(1), h))
    return emitOpError() << "q has " << q.getDimSize(1)
                         << " heads but num_heads is " << h;
  for (auto t : {k, v})
    if (t && !staticEq(t.getDimSize(1), hkv))
      return emitOpError() << "k and v must have num_kv_heads = " << hkv
                           << " heads";
  if (q && k && v &&
      (!staticEq(q.getDimSize(3), k.getDimSize(3)) ||
       !staticEq(q.getDimSize(3), v.getDimSize(3))))
    return emitOpError() << "q, k and v head dimensions differ";
  if (failed(verifySameShape(*this, getQ().getType(), getOutput().getType(),
                             "output shape must match q")))
    return failure();
  return success();
}

LogicalResult GatedSiluOp::verify() {
  auto in = ranked(getInput().getType()), out = ranked(getType());
  if (!in || !out || in.getRank() == 0)
    return success();
  int64_t d = in.getDimSize(in.getRank() - 1);
  if (!ShapedType::isDynamic(d) && d % 2)
    return emitOpError() << "last dimension of the input must be even";
  if (out.getRank() != in.getRank() ||
      (!ShapedType::isDynamic(d) &&
       !staticEq(out.getDimSize(out.getRank() - 1), d / 2)))
    return emitOpError() << "result's last dimension must be half the input's";
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult AddOp::verify() { return verifyArithBinary(*this); }
LogicalResult SubOp::verify() { return verifyArithBinary(*this); }
LogicalResult MulOp::verify() { return verifyArithBinary(*this); }
LogicalResult DivOp::verify() { return verifyArithBinary(*this); }
LogicalResult PowOp::verify() { return verifyArithBinary(*this, true); }
LogicalResult MaxOp::verify() { return verifyArithBinary(*this); }
LogicalResult MinOp::verify() { return verifyArithBinary(*this); }
LogicalResult EqualOp::verify() { return verifyCompare(*this); }
LogicalResult LessOp::verify() { return verifyCompare(*this); }
LogicalResult GreaterOp::verify() { return verifyCompare(*this); }
LogicalResult AndOp::verify() { return verifyCompare(*this); }
LogicalResult OrOp::verify() { return verifyCompare(*this); }

LogicalResult NegOp::verify() { return verifyUnary(*this); }
LogicalResult AbsOp::verify() { return verifyUnary(*this); }
LogicalResult SqrtOp::verify() { return verifyUnary(*this); }
LogicalResult ReciprocalOp::verify() { return verifyUnary(*this); }
LogicalResult ExpOp::verify() { return verifyUnary(*this); }
LogicalResult LogOp::verify() { return verifyUnary(*this); }
LogicalResult CosOp::verify() { return verifyUnary(*this); }
LogicalResult SinOp::verify() { return verifyUnary(*this); }
LogicalResult TanhOp::verify() { return verifyUnary(*this); }
LogicalResult SigmoidOp::verify() { return verifyUnary(*this); }
LogicalResult NotOp::verify() { return verifyUnary(*this); }
LogicalResult CastOp::verify() {
  return verifySameShape(*this, getInput().getType(), getType(),
                         "result shape must match the input shape");
}

LogicalResult WhereOp::verify() {
  if (failed(verifyElementTypes(*this, getX().getType(), getY().getType(),
                                "x and y element types differ")) ||
      failed(verifyElementTypes(*this, getX().getType(), getType(),
                                "result element type must match x and y")))
    return failure();
  return verifyBroadcast(*this, getOperandTypes(), getType());
}

//===----------------------------------------------------------------------===//
// Reductions, softmax
//===----------------------------------------------------------------------===//

LogicalResult ReduceMeanOp::verify() { return verifyReduce(*this); }
LogicalResult ReduceSumOp::verify() { return verifyReduce(*this); }
LogicalResult ReduceMaxOp::verify() { return verifyReduce(*this); }

LogicalResult SoftmaxOp::verify() {
  if (auto t = ranked(getType()))
    return normalizeAxis(*this, getAxis(), t.getRank());
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement and shapes
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  if (failed(verifyOneDim(*this, getShape().getType(), "shape")) ||
      failed(verifyElementTypes(*this, getInput().getType(), getType(),
                                "result element type must match the input")))
    return failure();
  auto s = ranked(getShape().getType()), out = ranked(getType());
  if (s && out && s.hasStaticShape() && out.getRank() != s.getDimSize(0))
    return emitOpError() << "result rank " << out.getRank()
                         << " does not match the shape operand's length "
                         << s.getDimSize(0);
  auto in = ranked(getInput().getType());
  if (in && out && in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError() << "input has " << in.getNumElements()
                         << " elements but the result has "
                         << out.getNumElements();
  return success();
}

LogicalResult TransposeOp::verify() {
  auto in = ranked(getInput().getType());
  if (!in)
    return success();
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<bool> seen(in.getRank(), false);
  bool ok = (int64_t)perm.size() == in.getRank();
  for (int64_t p : perm) {
    if (!ok || p < 0 || p >= in.getRank() || seen[p]) {
      ok = false;
      break;
    }
    seen[p] = true;
  }
  if (!ok)
    return emitOpError() << "perm must be a permutation of [0, "
                         << in.getRank() << ")";
  if (auto out = ranked(getType())) {
    SmallVector<int64_t> want;
    for (int64_t p : perm)
      want.push_back(in.getDimSize(p));
    if (failed(verifyCompatibleShape(out.getShape(), want)))
      return emitOpError()
             << "result shape does not match the permuted input shape";
  }
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "requires at least one input";
  Type first = getInputs().front().getType();
  for (Value v : getInputs())
    if (failed(verifyElementTypes(*this, first, v.getType(),
                                  "inputs must have the same element type")))
      return failure();
  if (failed(verifyElementTypes(*this, first, getType(),
                                "result element type must match the inputs")))
    return failure();
  auto out = ranked(getType());
  if (!out)
    return success();
  FailureOr<int64_t> axis = normalizeAxis(*this, getAxis(), out.getRank());
  if (failed(axis))
    return failure();
  int64_t sum = 0;
  for (Value v : getInputs()) {
    auto t = ranked(v.getType());
    if (!t)
      return success();
    if (t.getRank() != out.getRank())
      return emitOpError() << "inputs and result must have the same rank";
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != *axis && !staticEq(t.getDimSize(d), out.getDimSize(d)))
        return emitOpError()
               << "input shapes differ outside the concatenation axis";
    sum = (ShapedType::isDynamic(sum) || t.isDynamicDim(*axis))
              ? ShapedType::kDynamic
              : sum + t.getDimSize(*axis);
  }
  if (!staticEq(sum, out.getDimSize(*axis)))
    return emitOpError() << "result dimension along the axis must be " << sum;
  return success();
}

LogicalResult SplitOp::verify() {
  ArrayRef<int64_t> sizes = getSizes();
  if (sizes.size() != getNumResults())
    return emitOpError() << "expected " << sizes.size() << " results for "
                         << sizes.size() << " sizes";
  auto in = ranked(getInput().getType());
  if (!in)
    return success();
  FailureOr<int64_t> axis = normalizeAxis(*this, getAxis(), in.getRank());
  if (failed(axis))
    return failure();
  int64_t total = 0;
  for (int64_t s : sizes)
    total += s;
  if (!staticEq(total, in.getDimSize(*axis)))
    return emitOpError() << "sizes sum to " << total
                         << " but the input dimension is "
                         << in.getDimSize(*axis);
  for (auto [res, size] : llvm::zip(getResults(), sizes))
    if (auto r = ranked(res.getType());
        r && (r.getRank() != in.getRank() ||
              !staticEq(r.getDimSize(*axis), size)))
      return emitOpError() << "result shapes must match the split sizes";
  return success();
}

LogicalResult SliceOp::verify() {
  SmallVector<Value> bounds = {getStarts(), getEnds()};
  if (getAxes())
    bounds.push_back(getAxes());
  if (getSteps())
    bounds.push_back(getSteps());
  int64_t len = ShapedType::kDynamic;
  for (Value b : bounds) {
    auto t = ranked(b.getType());
    if (!t)
      continue;
    if (t.getRank() != 1 || !staticEq(len, t.getDimSize(0)))
      return emitOpError()
             << "starts, ends, axes and steps must be 1-D of equal length";
    if (!t.isDynamicDim(0))
      len = t.getDimSize(0);
  }
  if (failed(verifyElementTypes(*this, getInput().getType(), getType(),
                                "result element type must match the input")))
    return failure();
  auto in = ranked(getInput().getType()), out = ranked(getType());
  if (in && out && in.getRank() != out.getRank())
    return emitOpError() << "result rank must match the input rank";
  return success();
}

LogicalResult GatherOp::verify() {
  if (failed(verifyElementTypes(*this, getInput().getType(), getType(),
                                "result element type must match the input")))
    return failure();
  auto in = ranked(getInput().getType()), idx = ranked(getIndices().getType()),
       out = ranked(getType());
  if (!in)
    return success();
  if (failed(normalizeAxis(*this, getAxis(), in.getRank())))
    return failure();
  if (idx && out && out.getRank() != in.getRank() + idx.getRank() - 1)
    return emitOpError() << "result rank must be input rank + indices rank - 1";
  return success();
}

LogicalResult ExpandOp::verify() {
  if (failed(verifyOneDim(*this, getShape().getType(), "shape")) ||
      failed(verifyElementTypes(*this, getInput().getType(), getType(),
                                "result element type must match the input")))
    return failure();
  auto in = ranked(getInput().getType()), s = ranked(getShape().getType()),
       out = ranked(getType());
  if (in && s && out && s.hasStaticShape() &&
      out.getRank() != std::max(in.getRank(), s.getDimSize(0)))
    return emitOpError() << "result rank must be max(input rank, shape length)";
  return success();
}

LogicalResult UnsqueezeOp::verify() {
  auto in = ranked(getInput().getType()), out = ranked(getType());
  if (!in || !out)
    return success();
  if (out.getRank() != in.getRank() + (int64_t)getAxes().size())
    return emitOpError() << "result rank must be input rank + number of axes";
  return verifyAxes(*this, getAxes(), out.getRank());
}

LogicalResult SqueezeOp::verify() {
  auto in = ranked(getInput().getType()), out = ranked(getType());
  if (!in)
    return success();
  if (failed(verifyAxes(*this, getAxes(), in.getRank())))
    return failure();
  for (int64_t axis : getAxes()) {
    int64_t a = axis < 0 ? axis + in.getRank() : axis;
    if (!staticEq(in.getDimSize(a), 1))
      return emitOpError() << "cannot squeeze dimension " << a << " of size "
                           << in.getDimSize(a);
  }
  if (out && out.getRank() != in.getRank() - (int64_t)getAxes().size())
    return emitOpError() << "result rank must be input rank - number of axes";
  return success();
}

LogicalResult ShapeOp::verify() {
  auto out = ranked(getType());
  if (out && out.getRank() != 1)
    return emitOpError() << "result must be a 1-D tensor";
  auto in = ranked(getInput().getType());
  if (!in || !out)
    return success();
  int64_t r = in.getRank();
  auto clampDim = [r](int64_t v) {
    v = v < 0 ? v + r : v;
    return std::clamp<int64_t>(v, 0, r);
  };
  int64_t start = clampDim(getStart());
  int64_t end = getEnd() ? clampDim(*getEnd()) : r;
  int64_t len = std::max<int64_t>(end - start, 0);
  if (!staticEq(out.getDimSize(0), len))
    return emitOpError() << "result length must be " << len;
  return success();
}

LogicalResult ConstantOfShapeOp::verify() {
  if (failed(verifyOneDim(*this, getShape().getType(), "shape")))
    return failure();
  if (getValue().getType() != getType().getElementType())
    return emitOpError() << "value type must match the result element type";
  auto s = ranked(getShape().getType());
  if (s && s.hasStaticShape() && s.getDimSize(0) != getType().getRank())
    return emitOpError() << "result rank must equal the shape operand's length";
  return success();
}

LogicalResult RangeOp::verify() {
  for (Value v : getOperands())
    if (auto t = ranked(v.getType()); t && t.getRank() != 0)
      return emitOpError() << "start, limit and delta must be scalars";
  for (Value v : getOperands())
    if (failed(verifyElementTypes(*this, getStart().getType(), v.getType(),
                                  "operand element types differ")))
      return failure();
  if (failed(verifyElementTypes(*this, getStart().getType(), getType(),
                                "result element type must match the operands")))
    return failure();
  return verifyOneDim(*this, getType(), "result");
}

LogicalResult TriluOp::verify() {
  if (auto t = ranked(getType()); t && t.getRank() < 2)
    return emitOpError() << "input must have rank >= 2";
  return success();
}

LogicalResult GatherNDOp::verify() {
  // I64Attr getters return uint64_t; compare as signed.
  if ((int64_t)getBatchDims() < 0)
    return emitOpError() << "batch_dims must be non-negative";
  return verifyElementTypes(*this, getInput().getType(), getType(),
                            "result element type must match the input");
}

LogicalResult FlattenOp::verify() {
  if (auto out = ranked(getType()); out && out.getRank() != 2)
    return emitOpError() << "result must be rank 2";
  int64_t axis = getAxis();
  if (auto in = ranked(getInput().getType());
      in && (axis < -in.getRank() || axis > in.getRank()))
    return emitOpError() << "axis " << axis << " is out of range for rank "
                         << in.getRank();
  return success();
}

LogicalResult QuantizeNBitsOp::verify() {
  int64_t bits = getBits(), bs = getBlockSize();
  if (bits != 4 && bits != 8)
    return emitOpError() << "bits must be 4 or 8, got " << bits;
  auto w = dyn_cast<RankedTensorType>(getWeight().getType());
  if (!w || w.getRank() != 2 || !w.hasStaticShape())
    return emitOpError() << "weight must be a static 2-D tensor [K, N]";
  int64_t k = w.getDimSize(0), n = w.getDimSize(1);
  int64_t blocks = (k + bs - 1) / bs, blob = (bs * bits + 7) / 8;
  auto want = [&](Type t, ArrayRef<int64_t> shape) {
    auto r = dyn_cast<RankedTensorType>(t);
    return r && r.getShape() == shape;
  };
  if (!want(getCodes().getType(), {n, blocks, blob}))
    return emitOpError() << "codes must have shape [" << n << ", " << blocks
                         << ", " << blob << "]";
  if (!want(getScales().getType(), {n, blocks}))
    return emitOpError() << "scales must have shape [" << n << ", " << blocks
                         << "]";
  if (getSymmetric() == (bool)getZeroPoints())
    return emitOpError() << "zero_points must be produced exactly when "
                            "symmetric is false";
  if (getZeroPoints() &&
      !want(getZeroPoints().getType(), {n, (blocks * bits + 7) / 8}))
    return emitOpError() << "zero_points must have shape [" << n << ", "
                         << (blocks * bits + 7) / 8 << "]";
  return success();
}

LogicalResult DequantizeNBitsOp::verify() {
  int64_t bits = getBits(), bs = getBlockSize(), k = getK();
  if (bits != 4 && bits != 8)
    return emitOpError() << "bits must be 4 or 8, got " << bits;
  auto c = dyn_cast<RankedTensorType>(getCodes().getType());
  auto r = dyn_cast<RankedTensorType>(getType());
  int64_t blocks = (k + bs - 1) / bs, blob = (bs * bits + 7) / 8;
  if (!c || c.getRank() != 3 || c.getDimSize(1) != blocks || c.getDimSize(2) != blob)
    return emitOpError() << "codes must have shape [n, " << blocks << ", "
                         << blob << "]";
  if (!r || r.getRank() != 2 || r.getDimSize(0) != c.getDimSize(0) ||
      r.getDimSize(1) != k)
    return emitOpError() << "result must have shape [" << c.getDimSize(0)
                         << ", " << k << "]";
  return success();
}

#define GET_OP_CLASSES
#include "phi/Dialect/Phi/PhiOps.cpp.inc"
