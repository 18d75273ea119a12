//===- PatternUtils.h - matchers shared by the raising passes ---*- C++ -*-===//
#ifndef PHI_PASSES_PATTERNUTILS_H
#define PHI_PASSES_PATTERNUTILS_H

#include "phi/Dialect/Phi/PhiOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

namespace mlir::phi {

/// Looks through casts that do not change the element type (torch exports
/// `x.to(torch.float32)` on an already-f32 model as such a Cast).
inline Value stripIdentityCasts(Value v) {
  while (auto cast = v.getDefiningOp<CastOp>()) {
    if (getElementTypeOrSelf(cast.getInput().getType()) !=
        getElementTypeOrSelf(cast.getType()))
      break;
    v = cast.getInput();
  }
  return v;
}

/// Matches a constant whose elements all equal one float value (a splat, or a
/// one-element tensor).
inline std::optional<double> matchScalarFloat(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(stripIdentityCasts(v), m_Constant(&attr)))
    return std::nullopt;
  if (!isa<FloatType>(attr.getElementType()) ||
      !(attr.isSplat() || attr.getNumElements() == 1))
    return std::nullopt;
  return (*attr.getValues<APFloat>().begin()).convertToDouble();
}

/// Matches a constant holding one integer value (splat or one element).
inline std::optional<int64_t> matchScalarInt(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (!isa<IntegerType>(attr.getElementType()) ||
      !(attr.isSplat() || attr.getNumElements() == 1))
    return std::nullopt;
  return (*attr.getValues<APInt>().begin()).getSExtValue();
}

/// All elements of a float constant, in row-major order.
inline std::optional<SmallVector<double>> floatConsts(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  SmallVector<double> out;
  for (const APFloat &f : attr.getValues<APFloat>())
    out.push_back(f.convertToDouble());
  return out;
}

/// All elements of an integer constant, in row-major order.
inline std::optional<SmallVector<int64_t>> intConsts(Value v) {
  DenseIntElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> out;
  for (const APInt &i : attr.getValues<APInt>())
    out.push_back(i.getSExtValue());
  return out;
}

/// Returns the operand of a commutative binary op that is not `known`, or
/// null if `known` is neither operand.
inline Value otherOperand(Operation *op, Value known) {
  if (op->getOperand(0) == known)
    return op->getOperand(1);
  if (op->getOperand(1) == known)
    return op->getOperand(0);
  return {};
}

} // namespace mlir::phi

#endif // PHI_PASSES_PATTERNUTILS_H
