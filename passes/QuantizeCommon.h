//===- QuantizeCommon.h - shared rewrite of the quantization passes -*- C++ -*-===//
#ifndef PHI_PASSES_QUANTIZECOMMON_H
#define PHI_PASSES_QUANTIZECOMMON_H

#include "phi/Dialect/Phi/PhiOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::phi {

struct MatmulQuantOptions {
  int bits = 4;
  int64_t groupSize = 32; // 0: per channel (one group of K)
  bool symmetric = true;
  bool search = false;
  bool halfScales = false;
  /// Bits for the logits matmul: 4, 8, or 0 to keep it float.
  int lmHeadBits = 4;
  /// Bits for the embedding table: 4, 8, or 0 to keep it float.
  int embeddingBits = 0;
  std::vector<std::string> exclude;
  /// Weights whose name contains one of these become INT8 per channel.
  std::vector<std::string> int8Names;
};

/// Rewrites every eligible float phi.matmul in `module` into phi.matmul_nbits
/// over phi.quantize_nbits. Fails (after a diagnostic) on bad options.
LogicalResult quantizeMatmuls(ModuleOp module, const MatmulQuantOptions &opts);

} // namespace mlir::phi

#endif // PHI_PASSES_QUANTIZECOMMON_H
