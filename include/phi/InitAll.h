//===- InitAll.h - register everything phi's tools use ----------*- C++ -*-===//
//
// One place that every tool (phi-opt, phi-translate, phi-compile) calls, so
// they all see the same dialects, passes and pipelines.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_INITALL_H
#define PHI_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir::phi {
/// Registers the phi dialect and the upstream dialects phi lowers through.
void registerAllDialects(DialectRegistry &registry);
/// Registers every phi pass and pipeline, plus the upstream passes.
void registerAllPasses();
} // namespace mlir::phi

#endif // PHI_INITALL_H
