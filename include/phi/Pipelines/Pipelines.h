//===- Pipelines.h - phi pass pipelines -------------------------*- C++ -*-===//
//
// Each pipeline is one builder function plus one registration, so phi-opt
// replays exactly what the drivers run.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_PIPELINES_PIPELINES_H
#define PHI_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace mlir::phi {

/// Raises both exporters' graphs to the fused phi ops (RMSNorm, SiLU, gated
/// MLP), then cleans up with CSE and canonicalization.
void buildPhiRaisePipeline(OpPassManager &pm);

/// Registers `--phi-raise` and the other phi pipelines.
void registerPhiPipelines();

} // namespace mlir::phi

#endif // PHI_PIPELINES_PIPELINES_H
