//===- WeightBytes.cpp - an example phi pass plugin -----------------------===//
//
// --phi-example-weight-bytes: decode is bound by memory bandwidth, so the
// cost of a matmul per generated token is the bytes of weights it streams.
// The pass annotates every phi.matmul with a weight operand and every
// phi.matmul_nbits with `example.weight_bytes` (codes + scales + zero points
// for quantized ones) and reports the total per function as a remark:
//
//   phi-opt --load-pass-plugin=PhiWeightBytes.so --phi-example-weight-bytes x.mlir
//
// A plugin links nothing of phi or MLIR: phi-opt and phi-compile provide both.
//
//===----------------------------------------------------------------------===//

#include "phi/Dialect/Phi/PhiOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/Plugins/PassPlugin.h"

using namespace mlir;

namespace {
/// Bytes of a statically shaped tensor value (0 when dynamic or absent).
int64_t bytesOf(Value v) {
  auto t = v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
  if (!t || !t.hasStaticShape())
    return 0;
  return (t.getNumElements() * t.getElementTypeBitWidth() + 7) / 8;
}

struct WeightBytesPass
    : public PassWrapper<WeightBytesPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(WeightBytesPass)

  StringRef getArgument() const final { return "phi-example-weight-bytes"; }
  StringRef getDescription() const final {
    return "Annotate matmuls with the weight bytes they read per token";
  }

  void runOnOperation() override {
    int64_t total = 0, count = 0;
    Builder b(&getContext());
    getOperation().walk([&](Operation *op) {
      int64_t bytes = 0;
      if (auto mm = dyn_cast<phi::MatMulOp>(op)) {
        // A weight operand: a phi.weight, or an expression over weights
        // (quantization, concatenation) that the compiler folds.
        Operation *def = mm.getRhs().getDefiningOp();
        if (!def || !def->getName().getStringRef().starts_with("phi."))
          return;
        bytes = bytesOf(mm.getRhs());
      } else if (auto q = dyn_cast<phi::MatMulNBitsOp>(op)) {
        bytes = bytesOf(q.getB()) + bytesOf(q.getScales()) + bytesOf(q.getZeroPoints());
      } else {
        return;
      }
      op->setAttr("example.weight_bytes", b.getI64IntegerAttr(bytes));
      total += bytes;
      ++count;
    });
    getOperation().emitRemark() << count << " matmuls read " << total
                                << " bytes of weights per token";
  }
};
} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "PhiWeightBytes", "0.1",
          []() { PassRegistration<WeightBytesPass>(); }};
}
