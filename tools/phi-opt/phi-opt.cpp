//===- phi-opt.cpp - mlir-opt for the phi dialect -------------------------===//
//
// Every phi pass and pipeline plus the upstream dialects and passes, exactly
// as phi-compile registers them, so any compile can be replayed step by step.
//
//===----------------------------------------------------------------------===//

#include "phi/InitAll.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::phi::registerAllDialects(registry);
  mlir::phi::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "phi optimizer driver\n", registry));
}
