//===- QuantizeInt4.cpp - grouped INT4 weight quantization ----------------===//
#include "QuantizeCommon.h"
#include "phi/Transforms/Passes.h"

namespace mlir::phi {
#define GEN_PASS_DEF_PHIQUANTIZEINT4PASS
#include "phi/Transforms/Passes.h.inc"
} // namespace mlir::phi

using namespace mlir;
using namespace mlir::phi;

namespace {
struct PhiQuantizeInt4Pass
    : mlir::phi::impl::PhiQuantizeInt4PassBase<PhiQuantizeInt4Pass> {
  using Base::Base;
  void runOnOperation() override {
    int64_t g = groupSize;
    // onnxruntime's MatMulNBits takes power-of-two blocks of at least 16.
    if (g < 16 || g > 256 || (g & (g - 1))) {
      getOperation().emitError()
          << "phi-quantize-int4: group-size must be a power of two from 16 to "
             "256, got "
          << g;
      return signalPassFailure();
    }
    MatmulQuantOptions o;
    o.bits = 4;
    o.groupSize = g;
    o.symmetric = symmetric;
    o.search = search;
    if (lmHead == "int4")
      o.lmHeadBits = 4;
    else if (lmHead == "int8")
      o.lmHeadBits = 8;
    else if (lmHead == "float")
      o.lmHeadBits = 0;
    else {
      getOperation().emitError() << "phi-quantize-int4: lm-head must be int4, "
                                    "int8 or float, got '"
                                 << lmHead << "'";
      return signalPassFailure();
    }
    if (scaleType != "f32" && scaleType != "f16") {
      getOperation().emitError() << "phi-quantize-int4: scale-type must be f32 "
                                    "or f16, got '"
                                 << scaleType << "'";
      return signalPassFailure();
    }
    o.halfScales = scaleType == "f16";
    if (embedding == "float")
      o.embeddingBits = 0;
    else if (embedding == "int8")
      o.embeddingBits = 8;
    else if (embedding == "int4")
      o.embeddingBits = 4;
    else {
      getOperation().emitError() << "phi-quantize-int4: embedding must be float, int4 or int8, got '"
                                 << embedding << "'";
      return signalPassFailure();
    }
    o.exclude.assign(exclude.begin(), exclude.end());
    o.int8Names.assign(int8.begin(), int8.end());
    if (failed(quantizeMatmuls(getOperation(), o)))
      return signalPassFailure();
  }
};
} // namespace
