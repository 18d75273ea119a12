//===- Kernels.cpp - kernels the CPU target generates ---------------------===//
//
// See Kernels.h. Elementwise, copies, reductions and triangles are
// linalg.generic over strided memrefs (to loops, then LLVM vectorizes the
// innermost one); softmax, gather, matmul and attention are scf loops
// written in the order that keeps the innermost loop contiguous.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::phi;
using namespace mlir::phi::cpu;

Type cpu::elementType(MLIRContext *ctx, int code) {
  switch (code) {
  case F32: return Float32Type::get(ctx);
  case I64: return IntegerType::get(ctx, 64);
  case I32: return IntegerType::get(ctx, 32);
  default: return IntegerType::get(ctx, 8);
  }
}

MemRefType cpu::stridedType(MLIRContext *ctx, int64_t rank, Type t) {
  SmallVector<int64_t> dyn(rank, ShapedType::kDynamic);
  return MemRefType::get(dyn, t, StridedLayoutAttr::get(ctx, ShapedType::kDynamic, dyn));
}

func::FuncOp cpu::kernelFunc(OpBuilder &b, Location loc, llvm::StringRef name, TypeRange args,
                             bool ciface) {
  auto f = func::FuncOp::create(b, loc, name, b.getFunctionType(args, {}));
  f->setAttr("llvm.linkage", LLVM::LinkageAttr::get(b.getContext(), LLVM::Linkage::Internal));
  if (ciface)
    f->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  b.setInsertionPointToStart(f.addEntryBlock());
  return f;
}

namespace {

using IT = utils::IteratorType;

bool isUnsigned(int code) { return code == U8 || code == BOOL; }

Value cstF(OpBuilder &b, Location l, float v) {
  return arith::ConstantOp::create(b, l, b.getF32FloatAttr(v));
}
Value cstI(OpBuilder &b, Location l, Type t, int64_t v) {
  return arith::ConstantOp::create(b, l, b.getIntegerAttr(t, v));
}
Value cidx(OpBuilder &b, Location l, int64_t v) { return arith::ConstantIndexOp::create(b, l, v); }

/// An i1 as a stored bool (i8 0 / 1).
Value boolOut(OpBuilder &b, Location l, Value i1) {
  return arith::ExtUIOp::create(b, l, b.getI8Type(), i1);
}
Value truthy(OpBuilder &b, Location l, Value v) {
  if (isa<FloatType>(v.getType()))
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, v, cstF(b, l, 0));
  return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, v, cstI(b, l, v.getType(), 0));
}

/// ONNX Cast between runtime kinds.
Value convert(OpBuilder &b, Location l, Value v, int from, int to) {
  if (from == to)
    return v;
  Type t = elementType(b.getContext(), to);
  if (to == BOOL)
    return boolOut(b, l, truthy(b, l, v));
  if (from == F32)
    return isUnsigned(to) ? (Value)arith::FPToUIOp::create(b, l, t, v)
                          : (Value)arith::FPToSIOp::create(b, l, t, v);
  if (to == F32)
    return isUnsigned(from) ? (Value)arith::UIToFPOp::create(b, l, t, v)
                            : (Value)arith::SIToFPOp::create(b, l, t, v);
  unsigned fw = v.getType().getIntOrFloatBitWidth(), tw = t.getIntOrFloatBitWidth();
  if (fw == tw)
    return v;
  if (fw > tw)
    return arith::TruncIOp::create(b, l, t, v);
  return isUnsigned(from) ? (Value)arith::ExtUIOp::create(b, l, t, v)
                          : (Value)arith::ExtSIOp::create(b, l, t, v);
}

Value sigmoidDen(OpBuilder &b, Location l, Value x) {
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::AddFOp::create(b, l, cstF(b, l, 1), e);
}

/// The scalar body of elementwise `op`.
Value ewScalar(OpBuilder &b, Location l, int op, ValueRange a, ArrayRef<int> ins, int out) {
  using P = arith::CmpFPredicate;
  using Q = arith::CmpIPredicate;
  bool fl = ins[0] == F32, un = isUnsigned(ins[0]);
  Value x = a[0];
  if (op == Cast)
    return convert(b, l, x, ins[0], out);
  if (op == RoundF16) {
    Value h = arith::TruncFOp::create(b, l, b.getF16Type(), x);
    return arith::ExtFOp::create(b, l, b.getF32Type(), h);
  }
  if (op == Where) {
    Value y = convert(b, l, a[2], ins[2], ins[1]);
    return arith::SelectOp::create(b, l, truthy(b, l, x), a[1], y);
  }
  if (op < Neg) {
    Value y = convert(b, l, a[1], ins[1], ins[0]); // Pow(float, int) and the like
    switch (op) {
    case Add: return fl ? (Value)arith::AddFOp::create(b, l, x, y) : arith::AddIOp::create(b, l, x, y);
    case Sub: return fl ? (Value)arith::SubFOp::create(b, l, x, y) : arith::SubIOp::create(b, l, x, y);
    case Mul: return fl ? (Value)arith::MulFOp::create(b, l, x, y) : arith::MulIOp::create(b, l, x, y);
    case Div:
      if (fl)
        return arith::DivFOp::create(b, l, x, y);
      return un ? (Value)arith::DivUIOp::create(b, l, x, y) : arith::DivSIOp::create(b, l, x, y);
    case Pow: {
      if (fl)
        return math::PowFOp::create(b, l, x, y);
      Value p = math::PowFOp::create(b, l, convert(b, l, x, ins[0], F32),
                                     convert(b, l, y, ins[0], F32));
      return convert(b, l, p, F32, ins[0]);
    }
    case Max:
      if (fl)
        return arith::MaximumFOp::create(b, l, x, y);
      return un ? (Value)arith::MaxUIOp::create(b, l, x, y) : arith::MaxSIOp::create(b, l, x, y);
    case Min:
      if (fl)
        return arith::MinimumFOp::create(b, l, x, y);
      return un ? (Value)arith::MinUIOp::create(b, l, x, y) : arith::MinSIOp::create(b, l, x, y);
    case Equal:
      return boolOut(b, l, fl ? (Value)arith::CmpFOp::create(b, l, P::OEQ, x, y)
                              : arith::CmpIOp::create(b, l, Q::eq, x, y));
    case Less:
      return boolOut(b, l, fl ? (Value)arith::CmpFOp::create(b, l, P::OLT, x, y)
                              : arith::CmpIOp::create(b, l, un ? Q::ult : Q::slt, x, y));
    case Greater:
      return boolOut(b, l, fl ? (Value)arith::CmpFOp::create(b, l, P::OGT, x, y)
                              : arith::CmpIOp::create(b, l, un ? Q::ugt : Q::sgt, x, y));
    case And:
      return boolOut(b, l, arith::AndIOp::create(b, l, truthy(b, l, x), truthy(b, l, y)));
    case Or:
      return boolOut(b, l, arith::OrIOp::create(b, l, truthy(b, l, x), truthy(b, l, y)));
    }
  }
  if (!fl) {
    switch (op) {
    case Neg: return arith::SubIOp::create(b, l, cstI(b, l, x.getType(), 0), x);
    case Abs: return un ? x : (Value)math::AbsIOp::create(b, l, x);
    case Not: return boolOut(b, l, arith::CmpIOp::create(b, l, Q::eq, x, cstI(b, l, x.getType(), 0)));
    }
    llvm_unreachable("checked by ewSupported");
  }
  switch (op) {
  case Neg: return arith::NegFOp::create(b, l, x);
  case Abs: return math::AbsFOp::create(b, l, x);
  case Sqrt: return math::SqrtOp::create(b, l, x);
  case Reciprocal: return arith::DivFOp::create(b, l, cstF(b, l, 1), x);
  case Exp: return math::ExpOp::create(b, l, x);
  case Log: return math::LogOp::create(b, l, x);
  case Cos: return math::CosOp::create(b, l, x);
  case Sin: return math::SinOp::create(b, l, x);
  case Tanh: return math::TanhOp::create(b, l, x);
  case Sigmoid: return arith::DivFOp::create(b, l, cstF(b, l, 1), sigmoidDen(b, l, x));
  case Silu: return arith::DivFOp::create(b, l, x, sigmoidDen(b, l, x));
  }
  llvm_unreachable("checked by ewSupported");
}

SmallVector<IT> iterators(int64_t rank, uint64_t reduced = 0) {
  SmallVector<IT> its;
  for (int64_t i = 0; i < rank; ++i)
    its.push_back(reduced >> i & 1 ? IT::reduction : IT::parallel);
  return its;
}

arith::FastMathFlagsAttr reassoc(OpBuilder &b) {
  return arith::FastMathFlagsAttr::get(b.getContext(),
                                       arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
}

/// scf.for lb..ub (step 1) with a body that yields nothing.
void forLoop(OpBuilder &b, Location l, Value lb, Value ub,
             llvm::function_ref<void(OpBuilder &, Location, Value)> body) {
  scf::ForOp::create(b, l, lb, ub, cidx(b, l, 1), ValueRange{},
                     [&](OpBuilder &nb, Location nl, Value iv, ValueRange) {
                       body(nb, nl, iv);
                       scf::YieldOp::create(nb, nl);
                     });
}

Value dim(OpBuilder &b, Location l, Value m, int64_t d) { return memref::DimOp::create(b, l, m, d); }

} // namespace

bool cpu::ewSupported(int op, ArrayRef<int> ins, std::string &why) {
  for (int c : ins)
    if (c != F32 && c != I64 && c != I32 && c != I8 && c != U8 && c != BOOL) {
      why = "element type code " + std::to_string(c);
      return false;
    }
  if (op >= Neg && op < Where && op != Neg && op != Abs && op != Not && ins[0] != F32) {
    why = "a float op on integers";
    return false;
  }
  if (op == RoundF16 && ins[0] != F32) {
    why = "rounding a non-float";
    return false;
  }
  return true;
}

void cpu::buildEwKernel(OpBuilder &b, Location loc, llvm::StringRef name, int op, int64_t rank,
                        ArrayRef<int> ins, int out) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Type> args = {stridedType(ctx, rank, elementType(ctx, out))};
  for (int c : ins)
    args.push_back(stridedType(ctx, rank, elementType(ctx, c)));
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, args, /*ciface=*/true);
  SmallVector<Value> inputs(f.getArguments().drop_front());
  SmallVector<AffineMap> maps(ins.size() + 1, b.getMultiDimIdentityMap(rank));
  SmallVector<int> codes(ins);
  linalg::GenericOp::create(b, loc, inputs, ValueRange{f.getArgument(0)}, maps, iterators(rank),
                            [&](OpBuilder &nb, Location l, ValueRange a) {
                              linalg::YieldOp::create(
                                  nb, l, ewScalar(nb, l, op, a.drop_back(), codes, out));
                            });
  func::ReturnOp::create(b, loc);
}

void cpu::buildCopyKernel(OpBuilder &b, Location loc, llvm::StringRef name, int width,
                          int64_t rank) {
  MLIRContext *ctx = b.getContext();
  auto t = stridedType(ctx, rank, IntegerType::get(ctx, 8 * width));
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, {t, t}, /*ciface=*/true);
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  linalg::GenericOp::create(b, loc, ValueRange{f.getArgument(1)}, ValueRange{f.getArgument(0)},
                            maps, iterators(rank),
                            [&](OpBuilder &nb, Location l, ValueRange a) {
                              linalg::YieldOp::create(nb, l, a[0]);
                            });
  func::ReturnOp::create(b, loc);
}

void cpu::buildReduceKernel(OpBuilder &b, Location loc, llvm::StringRef name, int kind,
                            int code, int64_t rank, uint64_t mask) {
  MLIRContext *ctx = b.getContext();
  Type et = elementType(ctx, code);
  auto t = stridedType(ctx, rank, et);
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, {t, t}, /*ciface=*/true);
  Value out = f.getArgument(0), in = f.getArgument(1);
  bool fl = code == F32;
  Value init;
  if (kind == 2)
    init = fl ? cstF(b, loc, -std::numeric_limits<float>::infinity())
              : cstI(b, loc, et, code == I64 ? std::numeric_limits<int64_t>::min()
                                             : std::numeric_limits<int32_t>::min());
  else
    init = fl ? cstF(b, loc, 0) : cstI(b, loc, et, 0);
  linalg::FillOp::create(b, loc, ValueRange{init}, ValueRange{out});
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < rank; ++i)
    outExprs.push_back(mask >> i & 1 ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(i));
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  linalg::GenericOp::create(
      b, loc, ValueRange{in}, ValueRange{out}, maps, iterators(rank, mask),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value r;
        if (kind == 2)
          r = fl ? (Value)arith::MaximumFOp::create(nb, l, a[1], a[0])
                 : arith::MaxSIOp::create(nb, l, a[1], a[0]);
        else
          r = fl ? (Value)arith::AddFOp::create(nb, l, a[1], a[0], reassoc(nb))
                 : arith::AddIOp::create(nb, l, a[1], a[0]);
        linalg::YieldOp::create(nb, l, r);
      });
  if (kind == 0) {
    Value count = cidx(b, loc, 1);
    for (int64_t i = 0; i < rank; ++i)
      if (mask >> i & 1)
        count = arith::MulIOp::create(b, loc, count, dim(b, loc, in, i));
    Value n = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
    Value div = fl ? (Value)arith::SIToFPOp::create(b, loc, et, n) : convert(b, loc, n, I64, code);
    SmallVector<AffineMap> id(1, b.getMultiDimIdentityMap(rank));
    linalg::GenericOp::create(b, loc, TypeRange{}, ValueRange{}, ValueRange{out}, id,
                              iterators(rank), [&](OpBuilder &nb, Location l, ValueRange a) {
                                linalg::YieldOp::create(
                                    nb, l,
                                    fl ? (Value)arith::DivFOp::create(nb, l, a[0], div)
                                       : arith::DivSIOp::create(nb, l, a[0], div));
                              });
  }
  func::ReturnOp::create(b, loc);
}

void cpu::buildSoftmaxKernel(OpBuilder &b, Location loc, llvm::StringRef name) {
  MLIRContext *ctx = b.getContext();
  auto t = stridedType(ctx, 3, b.getF32Type());
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, {t, t}, /*ciface=*/true);
  Value out = f.getArgument(0), in = f.getArgument(1);
  Value c0 = cidx(b, loc, 0);
  Value outer = dim(b, loc, in, 0), inner = dim(b, loc, in, 1), n = dim(b, loc, in, 2);
  forLoop(b, loc, c0, outer, [&](OpBuilder &b1, Location l, Value o) {
    forLoop(b1, l, c0, inner, [&](OpBuilder &b2, Location l2, Value i) {
      auto mx = scf::ForOp::create(
          b2, l2, c0, n, cidx(b2, l2, 1),
          ValueRange{cstF(b2, l2, -std::numeric_limits<float>::infinity())},
          [&](OpBuilder &cb, Location l3, Value j, ValueRange acc) {
            Value x = memref::LoadOp::create(cb, l3, in, ValueRange{o, i, j});
            scf::YieldOp::create(cb, l3, ValueRange{arith::MaximumFOp::create(cb, l3, acc[0], x)});
          });
      Value m = mx.getResult(0);
      auto sum = scf::ForOp::create(
          b2, l2, c0, n, cidx(b2, l2, 1), ValueRange{cstF(b2, l2, 0)},
          [&](OpBuilder &cb, Location l3, Value j, ValueRange acc) {
            Value x = memref::LoadOp::create(cb, l3, in, ValueRange{o, i, j});
            Value e = math::ExpOp::create(cb, l3, arith::SubFOp::create(cb, l3, x, m));
            memref::StoreOp::create(cb, l3, e, out, ValueRange{o, i, j});
            scf::YieldOp::create(cb, l3,
                                 ValueRange{arith::AddFOp::create(cb, l3, acc[0], e, reassoc(cb))});
          });
      Value inv = arith::DivFOp::create(b2, l2, cstF(b2, l2, 1), sum.getResult(0));
      forLoop(b2, l2, c0, n, [&](OpBuilder &cb, Location l3, Value j) {
        Value e = memref::LoadOp::create(cb, l3, out, ValueRange{o, i, j});
        memref::StoreOp::create(cb, l3, arith::MulFOp::create(cb, l3, e, inv), out,
                                ValueRange{o, i, j});
      });
    });
  });
  func::ReturnOp::create(b, loc);
}

void cpu::buildGatherKernel(OpBuilder &b, Location loc, llvm::StringRef name, int width,
                            int idxCode) {
  MLIRContext *ctx = b.getContext();
  auto t = stridedType(ctx, 3, IntegerType::get(ctx, 8 * width));
  auto it = stridedType(ctx, 2, elementType(ctx, idxCode));
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, {t, t, it}, /*ciface=*/true);
  Value out = f.getArgument(0), data = f.getArgument(1), idx = f.getArgument(2);
  Value c0 = cidx(b, loc, 0);
  Value A = dim(b, loc, out, 0), J = dim(b, loc, out, 1), K = dim(b, loc, out, 2);
  Value D = dim(b, loc, data, 1);
  forLoop(b, loc, c0, A, [&](OpBuilder &b1, Location l, Value a) {
    forLoop(b1, l, c0, J, [&](OpBuilder &b2, Location l2, Value j) {
      Value raw = memref::LoadOp::create(b2, l2, idx, ValueRange{a, j});
      Value x = arith::IndexCastOp::create(b2, l2, b2.getIndexType(), raw);
      Value neg = arith::CmpIOp::create(b2, l2, arith::CmpIPredicate::slt, x, c0);
      Value row = arith::SelectOp::create(b2, l2, neg, arith::AddIOp::create(b2, l2, x, D), x);
      forLoop(b2, l2, c0, K, [&](OpBuilder &cb, Location l3, Value k) {
        Value v = memref::LoadOp::create(cb, l3, data, ValueRange{a, row, k});
        memref::StoreOp::create(cb, l3, v, out, ValueRange{a, j, k});
      });
    });
  });
  func::ReturnOp::create(b, loc);
}

void cpu::buildTriluKernel(OpBuilder &b, Location loc, llvm::StringRef name, int width,
                           bool upper, int64_t diagonal) {
  MLIRContext *ctx = b.getContext();
  Type et = IntegerType::get(ctx, 8 * width);
  auto t = stridedType(ctx, 3, et);
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, {t, t}, /*ciface=*/true);
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(3));
  linalg::GenericOp::create(
      b, loc, ValueRange{f.getArgument(1)}, ValueRange{f.getArgument(0)}, maps, iterators(3),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value i = linalg::IndexOp::create(nb, l, 1), j = linalg::IndexOp::create(nb, l, 2);
        Value d = arith::SubIOp::create(
            nb, l, arith::IndexCastOp::create(nb, l, nb.getI64Type(), j),
            arith::IndexCastOp::create(nb, l, nb.getI64Type(), i));
        Value keep = arith::CmpIOp::create(nb, l,
                                           upper ? arith::CmpIPredicate::sge
                                                 : arith::CmpIPredicate::sle,
                                           d, cstI(nb, l, nb.getI64Type(), diagonal));
        linalg::YieldOp::create(nb, l,
                                ValueRange{arith::SelectOp::create(nb, l, keep, a[0],
                                                                   cstI(nb, l, et, 0))});
      });
  func::ReturnOp::create(b, loc);
}

void cpu::buildFillKernel(OpBuilder &b, Location loc, llvm::StringRef name, int width) {
  MLIRContext *ctx = b.getContext();
  auto t = stridedType(ctx, 1, IntegerType::get(ctx, 8 * width));
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, {t, t}, /*ciface=*/true);
  Value v = memref::LoadOp::create(b, loc, f.getArgument(1), ValueRange{cidx(b, loc, 0)});
  linalg::FillOp::create(b, loc, ValueRange{v}, ValueRange{f.getArgument(0)});
  func::ReturnOp::create(b, loc);
}

void cpu::buildRangeKernel(OpBuilder &b, Location loc, llvm::StringRef name, int code) {
  MLIRContext *ctx = b.getContext();
  Type et = elementType(ctx, code);
  auto t = stridedType(ctx, 1, et);
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, {t, t}, /*ciface=*/true);
  Value p = f.getArgument(1);
  Value start = memref::LoadOp::create(b, loc, p, ValueRange{cidx(b, loc, 0)});
  Value delta = memref::LoadOp::create(b, loc, p, ValueRange{cidx(b, loc, 1)});
  SmallVector<AffineMap> id(1, b.getMultiDimIdentityMap(1));
  linalg::GenericOp::create(
      b, loc, TypeRange{}, ValueRange{}, ValueRange{f.getArgument(0)}, id, iterators(1),
      [&](OpBuilder &nb, Location l, ValueRange) {
        Value i = arith::IndexCastOp::create(nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, 0));
        Value r;
        if (code == F32)
          r = arith::AddFOp::create(
              nb, l, start,
              arith::MulFOp::create(nb, l, arith::SIToFPOp::create(nb, l, et, i), delta));
        else
          r = arith::AddIOp::create(nb, l, start,
                                    arith::MulIOp::create(nb, l, convert(nb, l, i, I64, code),
                                                          delta));
        linalg::YieldOp::create(nb, l, r);
      });
  func::ReturnOp::create(b, loc);
}

void cpu::buildMatmulKernel(OpBuilder &b, Location loc, llvm::StringRef name) {
  MLIRContext *ctx = b.getContext();
  auto t = stridedType(ctx, 3, b.getF32Type());
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, {t, t, t}, /*ciface=*/true);
  Value out = f.getArgument(0), A = f.getArgument(1), B = f.getArgument(2);
  Value c0 = cidx(b, loc, 0);
  Value nb = dim(b, loc, out, 0), M = dim(b, loc, out, 1), N = dim(b, loc, out, 2),
        K = dim(b, loc, A, 2);
  auto contract = arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::contract);
  // i, k, j: the innermost loop runs along contiguous rows of b and out.
  forLoop(b, loc, c0, nb, [&](OpBuilder &b1, Location l, Value p) {
    forLoop(b1, l, c0, M, [&](OpBuilder &b2, Location l2, Value i) {
      forLoop(b2, l2, c0, N, [&](OpBuilder &cb, Location l3, Value j) {
        memref::StoreOp::create(cb, l3, cstF(cb, l3, 0), out, ValueRange{p, i, j});
      });
      forLoop(b2, l2, c0, K, [&](OpBuilder &b3, Location l3, Value k) {
        Value aik = memref::LoadOp::create(b3, l3, A, ValueRange{p, i, k});
        forLoop(b3, l3, c0, N, [&](OpBuilder &cb, Location l4, Value j) {
          Value o = memref::LoadOp::create(cb, l4, out, ValueRange{p, i, j});
          Value bkj = memref::LoadOp::create(cb, l4, B, ValueRange{p, k, j});
          Value r = arith::AddFOp::create(cb, l4, o, arith::MulFOp::create(cb, l4, aik, bkj, contract),
                                          contract);
          memref::StoreOp::create(cb, l4, r, out, ValueRange{p, i, j});
        });
      });
    });
  });
  func::ReturnOp::create(b, loc);
}

void cpu::buildAttentionKernel(OpBuilder &b, Location loc, llvm::StringRef name, bool causal,
                               bool hasMask, float scale, int64_t headDim) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type(), i64 = b.getI64Type(), idx = b.getIndexType();
  // Rows are read as vector<C x f32> chunks (unit inner stride; C the
  // largest of 32, 16, 8, 4, 2, 1 dividing the head dim, small enough for
  // SSE's 16 registers), q . k is chunked FMAs and a vector reduction, and
  // each output chunk a register accumulator across all keys.
  int64_t C = 32;
  while (headDim % C)
    C /= 2;
  auto t3 = MemRefType::get(SmallVector<int64_t>(3, ShapedType::kDynamic), f32,
                            StridedLayoutAttr::get(ctx, ShapedType::kDynamic,
                                                   {ShapedType::kDynamic, ShapedType::kDynamic, 1}));
  SmallVector<Type> args = {t3, t3, t3, t3};
  if (hasMask)
    args.push_back(stridedType(ctx, 2, i64));
  args.push_back(stridedType(ctx, 1, f32));
  args.push_back(stridedType(ctx, 1, i64));
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, args, /*ciface=*/true);
  Value out = f.getArgument(0), q = f.getArgument(1), K = f.getArgument(2), V = f.getArgument(3);
  Value mask = hasMask ? f.getArgument(4) : Value();
  Value sc = f.getArgument(hasMask ? 5 : 4), prm = f.getArgument(hasMask ? 6 : 5);
  auto param = [&](int i) {
    return arith::IndexCastOp::create(
        b, loc, idx, memref::LoadOp::create(b, loc, prm, ValueRange{cidx(b, loc, i)}));
  };
  Value bh0 = param(0), H = param(1), group = param(2), Hkv = param(3);
  Value c0 = cidx(b, loc, 0), c1 = cidx(b, loc, 1);
  Value BH = dim(b, loc, q, 0), S = dim(b, loc, q, 1), T = dim(b, loc, K, 1);
  Value P = arith::SubIOp::create(b, loc, T, S);
  float ninf = -std::numeric_limits<float>::infinity();
  // NR query rows i0 .. i0 + NR at a time (4 in the main loop, then single
  // rows): each K and V chunk is loaded once for all of them. `cc` is the
  // chunk size, small enough that NR accumulators stay in registers.
  auto block = [&](OpBuilder &b2, Location l2, Value r, Value bi, Value kv, Value i0, int NR,
                   int64_t cc) {
    auto ct = VectorType::get({cc}, f32);
    SmallVector<Value> rows, lasts;
    for (int n = 0; n < NR; ++n) {
      rows.push_back(arith::AddIOp::create(b2, l2, i0, cidx(b2, l2, n)));
      lasts.push_back(arith::AddIOp::create(b2, l2, P, rows.back()));
    }
    auto zeroV = [&](OpBuilder &ob, Location ol) -> Value {
      return arith::ConstantOp::create(ob, ol, ct, DenseElementsAttr::get(ct, 0.0f));
    };
    auto scAt = [&](OpBuilder &ob, Location ol, int n, Value j) -> Value {
      return arith::AddIOp::create(ob, ol, arith::MulIOp::create(ob, ol, cidx(ob, ol, n), T), j);
    };
    // Scores (masked: -inf) and each row's max. Keys beyond the last row's
    // causal limit, or masked out, skip the dot products.
    SmallVector<Value> init(NR, cstF(b2, l2, ninf));
    auto mx = scf::ForOp::create(
        b2, l2, c0, T, c1, init, [&](OpBuilder &cb, Location l3, Value j, ValueRange acc) {
          Value any = arith::ConstantOp::create(cb, l3, cb.getBoolAttr(true));
          if (causal)
            any = arith::CmpIOp::create(cb, l3, arith::CmpIPredicate::ule, j, lasts.back());
          if (hasMask) {
            Value mv = memref::LoadOp::create(cb, l3, mask, ValueRange{bi, j});
            any = arith::AndIOp::create(cb, l3, any, truthy(cb, l3, mv));
          }
          auto ifOp = scf::IfOp::create(
              cb, l3, any,
              [&](OpBuilder &tb, Location l4) {
                SmallVector<Value> part(NR, zeroV(tb, l4));
                for (int64_t c = 0; c < headDim; c += cc) {
                  Value at = cidx(tb, l4, c);
                  Value kc = vector::LoadOp::create(tb, l4, ct, K, ValueRange{kv, j, at});
                  for (int n = 0; n < NR; ++n) {
                    Value qv = vector::LoadOp::create(tb, l4, ct, q, ValueRange{r, rows[n], at});
                    part[n] = vector::FMAOp::create(tb, l4, qv, kc, part[n]);
                  }
                }
                SmallVector<Value> res;
                for (int n = 0; n < NR; ++n) {
                  Value dot = vector::ReductionOp::create(
                      tb, l4, vector::CombiningKind::ADD, part[n],
                      arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
                  Value sv = arith::MulFOp::create(tb, l4, dot, cstF(tb, l4, scale));
                  if (causal) // rows before the last may end earlier
                    sv = arith::SelectOp::create(
                        tb, l4,
                        arith::CmpIOp::create(tb, l4, arith::CmpIPredicate::ule, j, lasts[n]), sv,
                        cstF(tb, l4, ninf));
                  res.push_back(sv);
                }
                scf::YieldOp::create(tb, l4, res);
              },
              [&](OpBuilder &eb, Location l4) {
                scf::YieldOp::create(eb, l4, SmallVector<Value>(NR, cstF(eb, l4, ninf)));
              });
          SmallVector<Value> next;
          for (int n = 0; n < NR; ++n) {
            Value sv = ifOp.getResult(n);
            memref::StoreOp::create(cb, l3, sv, sc, ValueRange{scAt(cb, l3, n, j)});
            next.push_back(arith::MaximumFOp::create(cb, l3, acc[n], sv));
          }
          scf::YieldOp::create(cb, l3, next);
        });
    // exp(s - max), masked keys 0, and each row's sum.
    SmallVector<Value> zeros(NR, cstF(b2, l2, 0));
    auto sum = scf::ForOp::create(
        b2, l2, c0, T, c1, zeros, [&](OpBuilder &cb, Location l3, Value j, ValueRange acc) {
          SmallVector<Value> next;
          for (int n = 0; n < NR; ++n) {
            Value at = scAt(cb, l3, n, j);
            Value sv = memref::LoadOp::create(cb, l3, sc, ValueRange{at});
            Value masked = arith::CmpFOp::create(cb, l3, arith::CmpFPredicate::OEQ, sv,
                                                 cstF(cb, l3, ninf));
            Value e = math::ExpOp::create(cb, l3, arith::SubFOp::create(cb, l3, sv, mx.getResult(n)));
            e = arith::SelectOp::create(cb, l3, masked, cstF(cb, l3, 0), e);
            memref::StoreOp::create(cb, l3, e, sc, ValueRange{at});
            next.push_back(arith::AddFOp::create(cb, l3, acc[n], e, reassoc(cb)));
          }
          scf::YieldOp::create(cb, l3, next);
        });
    // Each output row = sum_j p_j * v_j, chunk by chunk in registers (a row
    // with every key masked sums to 0 and stays 0).
    SmallVector<Value> inv;
    for (int n = 0; n < NR; ++n)
      inv.push_back(arith::DivFOp::create(
          b2, l2, cstF(b2, l2, 1),
          arith::MaximumFOp::create(b2, l2, sum.getResult(n),
                                    cstF(b2, l2, std::numeric_limits<float>::min()))));
    for (int64_t c = 0; c < headDim; c += cc) {
      Value at = cidx(b2, l2, c);
      SmallVector<Value> z(NR, zeroV(b2, l2));
      auto acc = scf::ForOp::create(
          b2, l2, c0, T, c1, z, [&](OpBuilder &jb, Location l4, Value j, ValueRange a) {
            Value vv = vector::LoadOp::create(jb, l4, ct, V, ValueRange{kv, j, at});
            SmallVector<Value> next;
            for (int n = 0; n < NR; ++n) {
              Value pr = arith::MulFOp::create(
                  jb, l4, memref::LoadOp::create(jb, l4, sc, ValueRange{scAt(jb, l4, n, j)}),
                  inv[n]);
              Value pv = vector::BroadcastOp::create(jb, l4, ct, pr);
              next.push_back(vector::FMAOp::create(jb, l4, pv, vv, a[n]));
            }
            scf::YieldOp::create(jb, l4, next);
          });
      for (int n = 0; n < NR; ++n)
        vector::StoreOp::create(b2, l2, acc.getResult(n), out, ValueRange{r, rows[n], at});
    }
  };
  int64_t c4 = std::min<int64_t>(C, 8);
  Value S4 = arith::MulIOp::create(b, loc, arith::DivUIOp::create(b, loc, S, cidx(b, loc, 4)),
                                   cidx(b, loc, 4));
  forLoop(b, loc, c0, BH, [&](OpBuilder &b1, Location l, Value r) {
    Value abs = arith::AddIOp::create(b1, l, bh0, r);
    Value bi = arith::DivUIOp::create(b1, l, abs, H), h = arith::RemUIOp::create(b1, l, abs, H);
    Value kv = arith::AddIOp::create(b1, l, arith::MulIOp::create(b1, l, bi, Hkv),
                                     arith::DivUIOp::create(b1, l, h, group));
    scf::ForOp::create(b1, l, c0, S4, cidx(b1, l, 4), ValueRange{},
                       [&](OpBuilder &b2, Location l2, Value i0, ValueRange) {
                         block(b2, l2, r, bi, kv, i0, 4, c4);
                         scf::YieldOp::create(b2, l2);
                       });
    forLoop(b1, l, S4, S, [&](OpBuilder &b2, Location l2, Value i) {
      block(b2, l2, r, bi, kv, i, 1, C);
    });
  });
  func::ReturnOp::create(b, loc);
}

/// rms_norm over rows, as scf loops: s = x (+ skip, stored as the residual),
/// out = s / sqrt(mean(s^2) + eps) * weight. The sum of squares may be
/// reassociated, so LLVM vectorizes it.
void cpu::buildRMSNormKernel(OpBuilder &b, Location loc, llvm::StringRef name, int64_t h, float eps,
                        bool skip) {
  Type f32 = b.getF32Type();
  int64_t hs = h < 0 ? ShapedType::kDynamic : h; // -1: the weight's length
  auto rowsT = MemRefType::get({ShapedType::kDynamic, hs}, f32);
  auto vecT = MemRefType::get({hs}, f32);
  SmallVector<Type> args = {rowsT};
  if (skip)
    args.push_back(rowsT);
  args.push_back(vecT);
  args.push_back(rowsT);
  if (skip)
    args.push_back(rowsT);
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, args);
  unsigned a = 0;
  Value in = f.getArgument(a++), sk = skip ? f.getArgument(a++) : Value();
  Value w = f.getArgument(a++), out = f.getArgument(a++), res = skip ? f.getArgument(a++) : Value();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0), c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value ch = h < 0 ? (Value)memref::DimOp::create(b, loc, w, 0)
                   : (Value)arith::ConstantIndexOp::create(b, loc, h);
  Value hf = arith::SIToFPOp::create(
      b, loc, f32, arith::IndexCastOp::create(b, loc, b.getI64Type(), ch));
  Value rows = memref::DimOp::create(b, loc, in, 0);
  scf::ForOp::create(b, loc, c0, rows, c1, ValueRange{},
                     [&](OpBuilder &rb, Location l, Value r, ValueRange) {
    // Three loops, each one LLVM vectorizes: residual = x + skip, the sum of
    // squares (a reduction with no stores in its loop), the scaling.
    if (skip)
      scf::ForOp::create(rb, l, c0, ch, c1, ValueRange{},
                         [&](OpBuilder &cb, Location l2, Value col, ValueRange) {
        Value x = arith::AddFOp::create(cb, l2, memref::LoadOp::create(cb, l2, in, ValueRange{r, col}),
                                        memref::LoadOp::create(cb, l2, sk, ValueRange{r, col}));
        memref::StoreOp::create(cb, l2, x, res, ValueRange{r, col});
        scf::YieldOp::create(cb, l2);
      });
    Value zero = arith::ConstantOp::create(rb, l, rb.getF32FloatAttr(0.0f));
    auto sum = scf::ForOp::create(
        rb, l, c0, ch, c1, ValueRange{zero},
        [&](OpBuilder &cb, Location l2, Value col, ValueRange acc) {
          Value x = memref::LoadOp::create(cb, l2, skip ? res : in, ValueRange{r, col});
          Value sq = arith::MulFOp::create(cb, l2, x, x);
          Value next = arith::AddFOp::create(cb, l2, acc[0], sq, reassoc(cb));
          scf::YieldOp::create(cb, l2, next);
        });
    Value mean = arith::DivFOp::create(rb, l, sum.getResult(0), hf);
    Value var = arith::AddFOp::create(rb, l, mean,
                                      arith::ConstantOp::create(rb, l, rb.getF32FloatAttr(eps)));
    Value inv = arith::DivFOp::create(rb, l,
                                      arith::ConstantOp::create(rb, l, rb.getF32FloatAttr(1.0f)),
                                      math::SqrtOp::create(rb, l, var));
    scf::ForOp::create(rb, l, c0, ch, c1, ValueRange{},
                       [&](OpBuilder &cb, Location l2, Value col, ValueRange) {
      Value x = memref::LoadOp::create(cb, l2, skip ? res : in, ValueRange{r, col});
      Value y = arith::MulFOp::create(cb, l2, arith::MulFOp::create(cb, l2, x, inv),
                                      memref::LoadOp::create(cb, l2, w, ValueRange{col}));
      memref::StoreOp::create(cb, l2, y, out, ValueRange{r, col});
      scf::YieldOp::create(cb, l2);
    });
    scf::YieldOp::create(rb, l);
  });
  func::ReturnOp::create(b, loc);
}

/// Rotary over rows of a [B, H, S, D] tensor (row r = ((b * H + h) * S + t)):
/// rotate-half of the first `rd` elements by the cos/sin table row of (b, t),
/// copy the rest. Scalars: H * S, S, the table's batch stride (0 when the
/// positions are shared), the first row's index.
void cpu::buildRotaryKernel(OpBuilder &b, Location loc, llvm::StringRef name, int64_t d, int64_t rd) {
  Type f32 = b.getF32Type(), idx = b.getIndexType();
  int64_t half = rd / 2;
  auto rowsT = MemRefType::get({ShapedType::kDynamic, d < 0 ? ShapedType::kDynamic : d}, f32);
  auto tabT = MemRefType::get({ShapedType::kDynamic, half}, f32);
  OpBuilder::InsertionGuard g(b);
  auto f = kernelFunc(b, loc, name, {rowsT, tabT, tabT, rowsT, idx, idx, idx, idx});
  Value x = f.getArgument(0), cs = f.getArgument(1), sn = f.getArgument(2), out = f.getArgument(3);
  Value hs = f.getArgument(4), sl = f.getArgument(5), bstride = f.getArgument(6), r0 = f.getArgument(7);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0), c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value chalf = arith::ConstantIndexOp::create(b, loc, half);
  Value crd = arith::ConstantIndexOp::create(b, loc, rd);
  Value cd = d < 0 ? (Value)memref::DimOp::create(b, loc, x, 1)
                   : (Value)arith::ConstantIndexOp::create(b, loc, d);
  Value rows = memref::DimOp::create(b, loc, x, 0);
  scf::ForOp::create(b, loc, c0, rows, c1, ValueRange{},
                     [&](OpBuilder &rb, Location l, Value r, ValueRange) {
    Value abs = arith::AddIOp::create(rb, l, r0, r);
    Value bi = arith::DivUIOp::create(rb, l, abs, hs);
    Value t = arith::RemUIOp::create(rb, l, abs, sl);
    Value tr = arith::AddIOp::create(rb, l, arith::MulIOp::create(rb, l, bi, bstride), t);
    scf::ForOp::create(rb, l, c0, chalf, c1, ValueRange{},
                       [&](OpBuilder &cb, Location l2, Value i, ValueRange) {
      Value i2 = arith::AddIOp::create(cb, l2, i, chalf);
      Value x1 = memref::LoadOp::create(cb, l2, x, ValueRange{r, i});
      Value x2 = memref::LoadOp::create(cb, l2, x, ValueRange{r, i2});
      Value c = memref::LoadOp::create(cb, l2, cs, ValueRange{tr, i});
      Value s = memref::LoadOp::create(cb, l2, sn, ValueRange{tr, i});
      Value o1 = arith::SubFOp::create(cb, l2, arith::MulFOp::create(cb, l2, x1, c),
                                       arith::MulFOp::create(cb, l2, x2, s));
      Value o2 = arith::AddFOp::create(cb, l2, arith::MulFOp::create(cb, l2, x2, c),
                                       arith::MulFOp::create(cb, l2, x1, s));
      memref::StoreOp::create(cb, l2, o1, out, ValueRange{r, i});
      memref::StoreOp::create(cb, l2, o2, out, ValueRange{r, i2});
      scf::YieldOp::create(cb, l2);
    });
    scf::ForOp::create(rb, l, crd, cd, c1, ValueRange{},
                       [&](OpBuilder &cb, Location l2, Value i, ValueRange) {
      memref::StoreOp::create(cb, l2, memref::LoadOp::create(cb, l2, x, ValueRange{r, i}), out,
                              ValueRange{r, i});
      scf::YieldOp::create(cb, l2);
    });
    scf::YieldOp::create(rb, l);
  });
  func::ReturnOp::create(b, loc);
}

void cpu::buildGatedSiluKernel(OpBuilder &b, Location loc, llvm::StringRef name, int64_t n) {
  Type f32 = b.getF32Type();
  int64_t dn = n < 0 ? ShapedType::kDynamic : n;
  auto inT = MemRefType::get({ShapedType::kDynamic, n < 0 ? dn : 2 * n}, f32);
  auto outT = MemRefType::get({ShapedType::kDynamic, dn}, f32);
  OpBuilder::InsertionGuard g(b);
  auto f = cpu::kernelFunc(b, loc, name, {inT, outT});
  Value in = f.getArgument(0), out = f.getArgument(1);
  Value rows = memref::DimOp::create(b, loc, in, 0);
  OpFoldResult width = n < 0 ? OpFoldResult(memref::DimOp::create(b, loc, out, 1).getResult())
                             : OpFoldResult(b.getIndexAttr(n));
  SmallVector<OpFoldResult> sizes = {rows, width},
                            one = {b.getIndexAttr(1), b.getIndexAttr(1)};
  Value gate = memref::SubViewOp::create(b, loc, in,
                                         ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
                                         sizes, one);
  Value up = memref::SubViewOp::create(b, loc, in,
                                       ArrayRef<OpFoldResult>{b.getIndexAttr(0), width},
                                       sizes, one);
  AffineMap id = b.getMultiDimIdentityMap(2);
  linalg::GenericOp::create(
      b, loc, ValueRange{gate, up}, ValueRange{out}, ArrayRef<AffineMap>{id, id, id},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value neg = arith::NegFOp::create(nb, l, a[0]);
        Value e = math::ExpOp::create(nb, l, neg);
        Value one1 = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1.0f));
        Value den = arith::AddFOp::create(nb, l, one1, e);
        Value silu = arith::DivFOp::create(nb, l, a[0], den);
        linalg::YieldOp::create(nb, l, ValueRange{arith::MulFOp::create(nb, l, a[1], silu)});
      });
  func::ReturnOp::create(b, loc);
}
