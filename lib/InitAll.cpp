//===- InitAll.cpp - register everything phi's tools use ------------------===//
#include "phi/InitAll.h"

#include "phi/Dialect/Phi/PhiDialect.h"
#include "phi/Pipelines/Pipelines.h"
#include "phi/Transforms/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

void mlir::phi::registerAllDialects(DialectRegistry &registry) {
  registry.insert<PhiDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

void mlir::phi::registerAllPasses() {
  mlir::registerAllPasses();
  registerPhiPasses();
  registerPhiPipelines();
}
