//===- phi-opt.cpp - mlir-opt for the phi dialect -------------------------===//
//
// Every phi pass and pipeline plus the upstream dialects and passes, exactly
// as phi-compile registers them, so any compile can be replayed step by step.
//
//===----------------------------------------------------------------------===//

#include "phi/InitAll.h"

#include "mlir/Tools/Plugins/PassPlugin.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  // MlirOptMain only warns when a plugin does not load and goes on without
  // its passes; a missing plugin is an error here.
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    if (!arg.consume_front("--load-pass-plugin=") && !arg.consume_front("-load-pass-plugin="))
      continue;
    auto plugin = mlir::PassPlugin::load(arg.str());
    if (!plugin) {
      llvm::errs() << "phi-opt: error: cannot load pass plugin '" << arg
                   << "': " << llvm::toString(plugin.takeError()) << "\n";
      return 1;
    }
  }
  mlir::DialectRegistry registry;
  mlir::phi::registerAllDialects(registry);
  mlir::phi::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "phi optimizer driver\n", registry));
}
