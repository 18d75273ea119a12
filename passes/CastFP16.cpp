//===- CastFP16.cpp - fp16 weights and activations with an fp32 policy ----===//
//
// Flips every f32 tensor in the function body to f16, then restores f32
// where the policy in Passes.td says so. Weights get a phi.cast weight
// expression, so the fp16 copies are produced by the weight packer.
//
//===----------------------------------------------------------------------===//

#include "phi/Transforms/Passes.h"
#include "phi/Dialect/Phi/PhiOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::phi {
#define GEN_PASS_DEF_PHICASTFP16PASS
#include "phi/Transforms/Passes.h.inc"
} // namespace mlir::phi

using namespace mlir;
using namespace mlir::phi;

namespace {

Type withElement(Type t, Type elem) {
  if (auto r = dyn_cast<RankedTensorType>(t))
    return RankedTensorType::get(r.getShape(), elem);
  if (isa<UnrankedTensorType>(t))
    return UnrankedTensorType::get(elem);
  return t;
}

bool isF32Tensor(Type t) {
  return isa<TensorType>(t) && getElementTypeOrSelf(t).isF32();
}

bool feedsReturn(Value v) {
  return llvm::any_of(v.getUsers(),
                      [](Operation *u) { return isa<func::ReturnOp>(u); });
}

struct PhiCastFP16Pass : mlir::phi::impl::PhiCastFP16PassBase<PhiCastFP16Pass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    OpBuilder b(&getContext());
    Type f16 = b.getF16Type(), f32 = b.getF32Type();
    Block &entry = fn.front();

    // f32 arguments are cast to f16 on entry.
    b.setInsertionPointToStart(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      if (!isF32Tensor(arg.getType()) || arg.use_empty())
        continue;
      auto c = CastOp::create(b, arg.getLoc(), withElement(arg.getType(), f16), arg);
      arg.replaceAllUsesExcept(c, c);
    }

    // Casts this pass inserts; the model's own casts are flipped like any op.
    llvm::SmallPtrSet<Operation *, 32> inserted;
    auto mark = [&](CastOp c) {
      inserted.insert(c);
      return c;
    };
    for (BlockArgument arg : entry.getArguments())
      for (Operation *u : arg.getUsers())
        if (isa<CastOp>(u))
          inserted.insert(u);

    SmallVector<Operation *> ops;
    fn.walk([&](Operation *op) {
      if (!isa<func::ReturnOp, func::FuncOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      b.setInsertionPointAfter(op);
      if (auto w = dyn_cast<WeightOp>(op)) {
        if (!isF32Tensor(w.getType()))
          continue;
        // Weights: an fp16 weight expression.
        // Quantizers keep reading the f32 weight.
        auto c = mark(CastOp::create(b, w.getLoc(), withElement(w.getType(), f16), w));
        w.getResult().replaceUsesWithIf(c, [&](OpOperand &use) {
          return use.getOwner() != c && !isa<QuantizeNBitsOp>(use.getOwner());
        });
        if (c.getResult().use_empty())
          c.erase();
        continue;
      }
      if (auto c = dyn_cast<arith::ConstantOp>(op)) {
        auto attr = dyn_cast<DenseElementsAttr>(c.getValue());
        if (!attr || !attr.getElementType().isF32())
          continue;
        auto conv = attr.mapValues(f16, [](const APFloat &v) {
          APFloat h = v;
          bool lost;
          h.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven, &lost);
          return h.bitcastToAPInt();
        });
        auto nc = arith::ConstantOp::create(b, c.getLoc(), conv);
        c.getResult().replaceAllUsesWith(nc.getResult());
        c.erase();
        continue;
      }
      // Quantization parameters stay f32; casts already inserted stay as is.
      if (isa<QuantizeNBitsOp>(op) || inserted.count(op))
        continue;
      bool keepF32 = isa<ReduceMeanOp, ReduceSumOp, SoftmaxOp>(op);
      if (keepF32) {
        // Read f32 inputs (the op's results stay f32, cast back below).
        for (OpOperand &o : op->getOpOperands()) {
          Type t = o.get().getType();
          if (isa<TensorType>(t) && getElementTypeOrSelf(t).isF16()) {
            OpBuilder bb(op);
            o.set(mark(CastOp::create(bb, op->getLoc(), withElement(t, f32), o.get())));
          }
        }
      }
      for (OpResult r : op->getResults()) {
        if (!isF32Tensor(r.getType()))
          continue;
        // Logits: a matmul returned directly produces f32 from f16 operands.
        if (isa<MatMulOp>(op) && feedsReturn(r))
          continue;
        if (keepF32) {
          auto c = mark(CastOp::create(b, op->getLoc(), withElement(r.getType(), f16), r));
          r.replaceAllUsesExcept(c, c);
          continue;
        }
        r.setType(withElement(r.getType(), f16));
      }
      if (auto cos = dyn_cast<ConstantOfShapeOp>(op))
        if (auto fa = dyn_cast<FloatAttr>(cos.getValue()); fa && fa.getType().isF32())
          cos.setValueAttr(b.getF16FloatAttr(fa.getValueAsDouble()));
    }

    // Returned values keep the declared types.
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    b.setInsertionPoint(ret);
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      Type want = fn.getFunctionType().getResult(i);
      if (v.getType() != want)
        ret.setOperand(i, CastOp::create(b, ret.getLoc(), want, v));
    }
  }
};

} // namespace
