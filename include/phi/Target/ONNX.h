//===- ONNX.h - export phi IR as an ONNX model ------------------*- C++ -*-===//
//
// Writes a module's `func.func @main` as an ONNX model that onnxruntime runs.
// Two styles:
//  - `ort`: com.microsoft contrib ops where they exist (MatMulNBits,
//    SkipSimplifiedLayerNormalization, SimplifiedLayerNormalization);
//  - `qdq`: standard opsets only (opset 21 blocked DequantizeLinear for
//    quantized weights, RMSNorm decomposed), for runtimes without contrib ops.
// Weight expressions are evaluated by the weight packer, one tensor at a
// time; with external data they stream into `<model>.data`.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_TARGET_ONNX_H
#define PHI_TARGET_ONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::phi {

struct ONNXExportOptions {
  enum class Style { ORT, QDQ };
  Style style = Style::ORT;
  /// Rows of the rotary cos/sin caches (the longest sequence the model
  /// runs). 0: the module's `phi.context_length` (set by the importer from
  /// onnxruntime-genai caches), else 4096.
  int64_t contextLength = 0;
};

/// Writes `path` and, for initializers, `path + ".data"` (external data, so
/// models beyond protobuf's 2 GB limit work). Files appear only on success.
LogicalResult exportONNXFiles(ModuleOp module, llvm::StringRef path,
                              const ONNXExportOptions &options);

/// Writes one self-contained model (inline initializers, < 2 GB) to `os`.
LogicalResult exportONNXToStream(ModuleOp module, llvm::raw_ostream &os,
                                 const ONNXExportOptions &options);

/// Registers `--export-onnx` (with `--onnx-style=ort|qdq`) for phi-translate.
void registerONNXExportTranslation();

} // namespace mlir::phi

#endif // PHI_TARGET_ONNX_H
