//===- CPU.h - compile phi IR into a CPU object, header and weights ------*- C++ -*-===//
//
// The CPU target turns a module's `func.func @main` (one forward step:
// tokens and KV cache in, logits and the new cache out) into
//   <name>.o        LLVM-compiled code for the target triple: `<name>_run`,
//                   a straight-line schedule of runtime kernel calls over
//                   value slots, freeing each value after its last use, and
//                   `<name>_describe`, declaring inputs, outputs and weights;
//   <name>.h        the model definition for the C API (include/phi/Runtime/phi.h);
//   <name>.weights  every weight expression evaluated once, 64-byte aligned,
//                   in the layout its kernel reads (float matmul weights
//                   transposed to [N, K]; MatMulNBits blocks as they are).
// The compiler generates each op's kernel (lib/Target/CPU/Kernels.cpp) into
// the object; the weight matmuls call runtime/ microkernels it selects.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_TARGET_CPU_H
#define PHI_TARGET_CPU_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <string>

namespace mlir::phi {

struct CPUTargetOptions {
  /// Symbol and file prefix: <name>_run, <name>.o, ...
  std::string name = "model";
  /// LLVM target triple (default: the host's), CPU and features.
  std::string triple;
  std::string cpu = "generic";
  std::string features;
  /// Context length the runtime enforces (0: the module's
  /// phi.context_length, else 4096).
  int64_t contextLength = 0;
  /// Quantized matmuls: 4 quantizes activations to int8 per 32 elements and
  /// uses int8 dot products (fast); 0 computes in f32 (exact to the dequantized
  /// weights); -1 keeps an imported MatMulNBits' accuracy_level, else 0.
  int64_t accuracyLevel = -1;
  /// Put the weights inside the object (`.incbin`, ELF targets) instead of a
  /// separate <name>.weights file; the header then defines <name>_create().
  bool embedWeights = false;
  /// Called while the weights file is written (bytes done, bytes in all),
  /// for progress reports on big models; may be empty.
  std::function<void(int64_t, int64_t)> progress;
};

/// The LLVM-dialect module of the step (no weights are evaluated): what
/// `phi-compile --emit=llvm` prints.
OwningOpRef<ModuleOp> buildCPUModule(ModuleOp module, const CPUTargetOptions &options);

/// The kernels the CPU target generates for the module, as built (linalg /
/// scf / arith / math on memrefs, one func.func each), before lowering to
/// LLVM: what `phi-compile --emit=kernels` prints.
OwningOpRef<ModuleOp> buildCPUKernels(ModuleOp module, const CPUTargetOptions &options);

/// Writes <dir>/<name>.o, .h and .weights (no .weights when embedding);
/// nothing is left behind on failure.
LogicalResult emitCPUArtifacts(ModuleOp module, llvm::StringRef dir,
                               const CPUTargetOptions &options);

} // namespace mlir::phi

#endif // PHI_TARGET_CPU_H
