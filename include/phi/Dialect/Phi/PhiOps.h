//===- PhiOps.h - phi dialect operations ------------------------*- C++ -*-===//
#ifndef PHI_DIALECT_PHI_PHIOPS_H
#define PHI_DIALECT_PHI_PHIOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "phi/Dialect/Phi/PhiDialect.h"

#define GET_OP_CLASSES
#include "phi/Dialect/Phi/PhiOps.h.inc"

namespace mlir::phi {
/// Name of the module attribute that records the weights archive that
/// `phi.weight` ops refer to (a path, relative to the current directory).
inline constexpr llvm::StringLiteral kWeightsAttrName = "phi.weights";
} // namespace mlir::phi

#endif // PHI_DIALECT_PHI_PHIOPS_H
