//===- Pipelines.cpp - phi pass pipelines ---------------------------------===//
#include "phi/Pipelines/Pipelines.h"
#include "phi/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <cstring>

using namespace mlir;

void mlir::phi::buildPhiRaisePipeline(OpPassManager &pm) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createPhiRaiseRMSNormPass());
  fn.addPass(createPhiRaiseGatedMLPPass());
  fn.addPass(createPhiRaiseRotaryPass());
  fn.addPass(createPhiRaiseAttentionPass());
  fn.addPass(createCSEPass());
  fn.addPass(createCanonicalizerPass());
}

mlir::LogicalResult mlir::phi::buildPhiCompilePipeline(OpPassManager &pm,
                                                 const PhiCompileOptions &o,
                                                 std::string &error) {
  const std::string &q = o.quant;
  if (q != "fp32" && q != "fp16" && q != "int8" && q != "int4") {
    error = "quant must be fp32, fp16, int8 or int4, got '" + q + "'";
    return failure();
  }
  if (o.groupSize >= 0 && q != "int4" && q != "int8") {
    error = "group-size applies to int4 and int8 only";
    return failure();
  }
  if (o.target != "onnx" && o.target != "cpu") {
    error = "target '" + o.target.getValue() +
            "' is not implemented yet (available: onnx, cpu)";
    return failure();
  }
  if (o.raise)
    buildPhiRaisePipeline(pm);
  if (!o.extraPasses.empty()) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    if (failed(parsePassPipeline(o.extraPasses, pm, os))) {
      // The parser's first line says what is wrong; the rest draws a caret.
      llvm::StringRef why = llvm::StringRef(msg).trim().split('\n').first;
      why = why.substr(why.find("error: ") == llvm::StringRef::npos
                           ? 0
                           : why.find("error: ") + strlen("error: "));
      error = "extra-passes '" + o.extraPasses.getValue() + "': " + why.str();
      return failure();
    }
  }
  if (q == "int4") {
    PhiQuantizeInt4PassOptions qo;
    qo.groupSize = o.groupSize < 0 ? 32 : int64_t(o.groupSize);
    qo.symmetric = o.symmetric;
    qo.search = o.search;
    pm.addPass(createPhiQuantizeInt4Pass(qo));
  } else if (q == "int8") {
    PhiQuantizeInt8PassOptions qo;
    qo.groupSize = o.groupSize < 0 ? 0 : int64_t(o.groupSize);
    qo.symmetric = o.symmetric;
    qo.search = o.search;
    pm.addPass(createPhiQuantizeInt8Pass(qo));
  } else if (q == "fp16") {
    pm.addNestedPass<func::FuncOp>(createPhiCastFP16Pass());
  }
  return success();
}

void mlir::phi::registerPhiPipelines() {
  registerPassPipeline(
      "phi-compile",
      "The pipeline phi-compile runs after import (raise, quantize or cast)",
      [](OpPassManager &pm, StringRef optionsStr,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        PhiCompileOptions o;
        if (failed(o.parseFromString(optionsStr)))
          return failure();
        std::string error;
        if (failed(buildPhiCompilePipeline(pm, o, error)))
          return errorHandler("phi-compile: " + error);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(PhiCompileOptions());
      });
  PassPipelineRegistration<>(
      "phi-raise",
      "Raise torch.onnx and onnxruntime-genai graphs to fused phi ops",
      [](OpPassManager &pm) { buildPhiRaisePipeline(pm); });
}
