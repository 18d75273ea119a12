//===- Weights.h - weight archives and weight expressions -------*- C++ -*-===//
//
// Weights stay outside the IR: `phi.weight "name"` names a tensor in the
// archive recorded in the module's `phi.weights` attribute. Passes build
// *weight expressions* on top (phi.concat of weights, phi.quantize_nbits,
// phi.cast, phi.transpose); the WeightEvaluator computes their bytes when an
// artifact is written, one tensor at a time, reading the archive through
// mmap, so peak memory stays near one tensor plus its result.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_WEIGHTS_WEIGHTS_H
#define PHI_WEIGHTS_WEIGHTS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::phi {

/// A tensor archive (an ONNX model with inline or external data).
class WeightArchive {
public:
  virtual ~WeightArchive() = default;
  /// Opens `path`; on failure returns null and sets `error`.
  static std::unique_ptr<WeightArchive> open(llvm::StringRef path,
                                             MLIRContext *ctx,
                                             std::string &error);
  /// Bytes of tensor `name`, checked against `type`. The bytes live as long
  /// as the archive.
  virtual FailureOr<llvm::StringRef> read(llvm::StringRef name,
                                          RankedTensorType type,
                                          std::string &error) = 0;
};

/// Computes the bytes of weight expressions.
class WeightEvaluator {
public:
  explicit WeightEvaluator(ModuleOp module) : module(module) {}

  /// True if `v` is computed from weights and constants only, by ops the
  /// evaluator knows.
  static bool isWeightExpression(Value v);

  /// Dense little-endian bytes of `v` (row-major). Emits a diagnostic at the
  /// defining op on failure. Results stay cached until `forget`.
  FailureOr<llvm::ArrayRef<char>> evaluate(Value v);
  void forget(Value v) { cache.erase(v); }

  /// A readable name for a weight expression: the weight's name, names of
  /// concatenated weights joined by '+', or "".
  static std::string nameOf(Value v);

private:
  LogicalResult openArchive(Operation *at);
  ModuleOp module;
  std::unique_ptr<WeightArchive> archive;
  llvm::DenseMap<Value, std::vector<char>> cache;
};

} // namespace mlir::phi

#endif // PHI_WEIGHTS_WEIGHTS_H

namespace mlir::phi {
/// Registers `--export-weights` (safetensors) with mlir-translate drivers.
void registerExportWeightsTranslation();
} // namespace mlir::phi
