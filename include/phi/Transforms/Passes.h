//===- Passes.h - phi transformation passes ---------------------*- C++ -*-===//
#ifndef PHI_TRANSFORMS_PASSES_H
#define PHI_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "phi/Dialect/Phi/PhiDialect.h"

namespace mlir::phi {
#define GEN_PASS_DECL
#include "phi/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "phi/Transforms/Passes.h.inc"
} // namespace mlir::phi

#endif // PHI_TRANSFORMS_PASSES_H
