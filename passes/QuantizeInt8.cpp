//===- QuantizeInt8.cpp - per-channel / grouped INT8 weight quantization --===//
#include "QuantizeCommon.h"
#include "phi/Transforms/Passes.h"

namespace mlir::phi {
#define GEN_PASS_DEF_PHIQUANTIZEINT8PASS
#include "phi/Transforms/Passes.h.inc"
} // namespace mlir::phi

using namespace mlir;
using namespace mlir::phi;

namespace {
struct PhiQuantizeInt8Pass
    : mlir::phi::impl::PhiQuantizeInt8PassBase<PhiQuantizeInt8Pass> {
  using Base::Base;
  void runOnOperation() override {
    int64_t g = groupSize;
    if (g != 0 && (g < 16 || g > 256 || (g & (g - 1)))) {
      getOperation().emitError()
          << "phi-quantize-int8: group-size must be 0 (per channel) or a "
             "power of two from 16 to 256, got "
          << g;
      return signalPassFailure();
    }
    MatmulQuantOptions o;
    o.bits = 8;
    o.groupSize = g;
    o.symmetric = symmetric;
    o.search = search;
    if (lmHead == "int8")
      o.lmHeadBits = 8;
    else if (lmHead == "float")
      o.lmHeadBits = 0;
    else {
      getOperation().emitError()
          << "phi-quantize-int8: lm-head must be int8 or float, got '" << lmHead
          << "'";
      return signalPassFailure();
    }
    if (embedding == "float")
      o.embeddingBits = 0;
    else if (embedding == "int8")
      o.embeddingBits = 8;
    else {
      getOperation().emitError() << "phi-quantize-int8: embedding must be float or int8, got '"
                                 << embedding << "'";
      return signalPassFailure();
    }
    o.exclude.assign(exclude.begin(), exclude.end());
    if (failed(quantizeMatmuls(getOperation(), o)))
      return signalPassFailure();
  }
};
} // namespace
