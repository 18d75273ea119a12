//===- ONNX.h - import ONNX models into the phi dialect ---------*- C++ -*-===//
//
// Reads an ONNX model (protobuf, initializers inline or in external data)
// and builds a module with one `func.func @main` whose ops are phi ops. Every
// node is mapped or rejected with one diagnostic naming the file, the node,
// its op type, domain and opset.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_IMPORT_ONNX_H
#define PHI_IMPORT_ONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace mlir::phi {

struct ONNXImportOptions {
  /// Initializers with at most this many elements become `arith.constant`s
  /// (shape vectors, epsilons, axes); larger ones stay in the archive as
  /// `phi.weight`.
  int64_t inlineElementLimit = 63;
  /// RoPE base assumed when recovering LongRoPE factors from onnxruntime-genai
  /// cos/sin caches. Only the product factor * theta^(2i/d) is observable, so
  /// the recovered inverse frequencies are exact whatever this is.
  double ropeTheta = 10000.0;
};

/// Imports the ONNX model at `path`. `contents` is the file's bytes (the
/// caller may already have them). Returns null after emitting diagnostics.
OwningOpRef<ModuleOp> importONNX(llvm::StringRef path, llvm::StringRef contents,
                                 MLIRContext *ctx,
                                 const ONNXImportOptions &options = {});

/// The files an import of the model at `path` reads: the model itself, then
/// each external data file its tensors name (for build-system depfiles).
/// Fails when `contents` is not a parseable ONNX model.
FailureOr<std::vector<std::string>> onnxInputFiles(llvm::StringRef path,
                                                   llvm::StringRef contents);

/// Registers `--import-onnx` with mlir-translate-style drivers.
void registerONNXImportTranslation();

} // namespace mlir::phi

#endif // PHI_IMPORT_ONNX_H
