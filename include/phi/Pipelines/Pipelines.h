//===- Pipelines.h - phi pass pipelines -------------------------*- C++ -*-===//
//
// Each pipeline is one builder function plus one registration, so phi-opt
// replays exactly what the drivers run.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_PIPELINES_PIPELINES_H
#define PHI_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::phi {

/// Raises both exporters' graphs to the fused phi ops (RMSNorm, SiLU, gated
/// MLP), then cleans up with CSE and canonicalization.
void buildPhiRaisePipeline(OpPassManager &pm);

/// Options of the end-to-end compile pipeline (phi-compile's flags).
struct PhiCompileOptions : public PassPipelineOptions<PhiCompileOptions> {
  Option<std::string> quant{*this, "quant",
                            llvm::cl::desc("fp32 | fp16 | int8 | int4"),
                            llvm::cl::init("fp32")};
  Option<int64_t> groupSize{*this, "group-size",
                            llvm::cl::desc("Quantization group along K (int4: "
                                           "16-256, default 32; int8: 0 = per channel)"),
                            llvm::cl::init(-1)};
  Option<bool> symmetric{*this, "symmetric", llvm::cl::desc("Symmetric quantization"),
                         llvm::cl::init(true)};
  Option<bool> search{*this, "search",
                      llvm::cl::desc("Search group scales (better than RTN)"),
                      llvm::cl::init(false)};
  Option<std::string> target{*this, "target", llvm::cl::desc("onnx | cpu | cuda"),
                             llvm::cl::init("onnx")};
  Option<bool> raise{*this, "raise",
                     llvm::cl::desc("Raise to the fused phi ops (false: compile the graph "
                                    "op by op, as exported)"),
                     llvm::cl::init(true)};
  Option<std::string> extraPasses{
      *this, "extra-passes",
      llvm::cl::desc("A pass pipeline (mlir-opt syntax, e.g. "
                     "'func.func(my-pass),canonicalize') run after raising and "
                     "before quantization: passes of loaded plugins go here"),
      llvm::cl::init("")};
};

/// `--phi-raise` (unless raise=false), then `extra-passes`, then quantize or cast as `options` say. The target only
/// chooses what comes after (ONNX export needs nothing more). On bad options
/// returns failure with `error` set.
LogicalResult buildPhiCompilePipeline(OpPassManager &pm,
                                      const PhiCompileOptions &options,
                                      std::string &error);

/// Registers `--phi-raise`, `--phi-compile` and the other phi pipelines.
void registerPhiPipelines();

} // namespace mlir::phi

#endif // PHI_PIPELINES_PIPELINES_H
