//===- Pipelines.cpp - phi pass pipelines ---------------------------------===//
#include "phi/Pipelines/Pipelines.h"
#include "phi/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

void mlir::phi::buildPhiRaisePipeline(OpPassManager &pm) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createPhiRaiseRMSNormPass());
  fn.addPass(createPhiRaiseGatedMLPPass());
  fn.addPass(createPhiRaiseRotaryPass());
  fn.addPass(createPhiRaiseAttentionPass());
  fn.addPass(createCSEPass());
  fn.addPass(createCanonicalizerPass());
}

void mlir::phi::registerPhiPipelines() {
  PassPipelineRegistration<>(
      "phi-raise",
      "Raise torch.onnx and onnxruntime-genai graphs to fused phi ops",
      [](OpPassManager &pm) { buildPhiRaisePipeline(pm); });
}
