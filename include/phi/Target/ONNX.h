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
  /// MatMulNBits accuracy_level (0: fp32 compute; 4: int8 activations, what
  /// the genai builder writes for CPU). -1: keep the op's onnx.accuracy_level
  /// if it has one (an imported MatMulNBits), else 0.
  int64_t accuracyLevel = -1;
};

/// The context length an export of `module` uses (see contextLength).
int64_t exportContextLength(ModuleOp module, const ONNXExportOptions &options);

/// Writes `path` and, for initializers, `path + ".data"` (external data, so
/// models beyond protobuf's 2 GB limit work). Files appear only on success.
LogicalResult exportONNXFiles(ModuleOp module, llvm::StringRef path,
                              const ONNXExportOptions &options);

/// Writes one self-contained model (inline initializers, < 2 GB) to `os`.
LogicalResult exportONNXToStream(ModuleOp module, llvm::raw_ostream &os,
                                 const ONNXExportOptions &options);

struct GenaiConfigOptions {
  std::string onnxFileName = "model.onnx";
  /// Where to look for the source model's genai_config.json or config.json
  /// (token ids, search options).
  std::string sourceDir;
  int64_t contextLength = 4096;
  /// True when every attention is a GroupQueryAttention (ort style).
  bool sharedKVBuffer = true;
};

/// The genai_config.json text for `module` exported as `onnxFileName`, or
/// failure with `whyNot` set when the model lacks the decoder interface
/// onnxruntime-genai needs (input_ids, attention_mask, a KV cache, logits).
FailureOr<std::string> genaiConfigJSON(ModuleOp module,
                                       const GenaiConfigOptions &options,
                                       std::string &whyNot);

/// Registers `--export-onnx` (with `--onnx-style=ort|qdq`) for phi-translate.
void registerONNXExportTranslation();

} // namespace mlir::phi

#endif // PHI_TARGET_ONNX_H
