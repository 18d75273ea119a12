//===- Kernels.h - kernels the CPU target generates ------------*- C++ -*-===//
//
// Builders of the kernels phi-compile generates for the CPU target, as
// linalg / scf / arith / math on memrefs, lowered to LLVM and optimized for
// the target CPU with the rest of the object. Each is a func.func with
// `llvm.emit_c_interface`: the runtime calls `_mlir_ciface_<name>` with
// pointers to memref descriptors ({allocated, aligned, offset, sizes[R],
// strides[R]}, runtime/Generated.cpp), so broadcasts (stride 0), transposes,
// slices with steps and KV caches with spare capacity are views, not copies.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_LIB_TARGET_CPU_KERNELS_H
#define PHI_LIB_TARGET_CPU_KERNELS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::phi::cpu {

/// Runtime element kinds (ONNX data type codes, as runtime/Runtime.h).
enum Code : int { F32 = 1, U8 = 2, I8 = 3, I32 = 6, I64 = 7, BOOL = 9 };

/// Elementwise opcodes (one generated kernel per opcode, rank and types).
enum EwOp : int {
  Add, Sub, Mul, Div, Pow, Max, Min, Equal, Less, Greater, And, Or,
  Neg = 20, Abs, Sqrt, Reciprocal, Exp, Log, Cos, Sin, Tanh, Sigmoid, Not, Silu,
  Where = 40, Cast, RoundF16
};

/// The memref element type of a runtime kind (bool and u8: i8).
Type elementType(MLIRContext *ctx, int code);
/// memref<?x..x?xT, strided<[?, .., ?], offset: ?>> of `rank`.
MemRefType stridedType(MLIRContext *ctx, int64_t rank, Type t);

/// An internal func.func `name`(args) with the builder at the start of its
/// body; `ciface`: also emit the C-interface wrapper the runtime calls.
func::FuncOp kernelFunc(OpBuilder &b, Location loc, llvm::StringRef name, TypeRange args,
                        bool ciface = false);

/// Whether `op` over these input kinds has a generated kernel; `why` says
/// what is missing when not.
bool ewSupported(int op, llvm::ArrayRef<int> ins, std::string &why);

/// (out, in...) of `rank`: out = op(in...) elementwise (inputs broadcast by
/// stride-0 views).
void buildEwKernel(OpBuilder &b, Location loc, llvm::StringRef name, int op, int64_t rank,
                   llvm::ArrayRef<int> ins, int out);
/// (dst, src) of `rank`, elements of `width` bytes.
void buildCopyKernel(OpBuilder &b, Location loc, llvm::StringRef name, int width,
                     int64_t rank);
/// (out, in) of `rank`, out with size 1 on the reduced dims (`mask` bits):
/// kind 0 mean, 1 sum, 2 max.
void buildReduceKernel(OpBuilder &b, Location loc, llvm::StringRef name, int kind, int code,
                       int64_t rank, uint64_t mask);
/// (out, in) as [outer, inner, n] f32: softmax along n.
void buildSoftmaxKernel(OpBuilder &b, Location loc, llvm::StringRef name);
/// (out [A, J, K], data [A, D, K], indices [A, J]): out[a, j] = data[a, idx]
/// (negative indices count from D).
void buildGatherKernel(OpBuilder &b, Location loc, llvm::StringRef name, int width,
                       int idxCode);
/// (out, in) as [batch, rows, cols]: keep the upper / lower triangle.
void buildTriluKernel(OpBuilder &b, Location loc, llvm::StringRef name, int width, bool upper,
                      int64_t diagonal);
/// (out [n], value [1]).
void buildFillKernel(OpBuilder &b, Location loc, llvm::StringRef name, int width);
/// (out [n], params [2] = start, delta): out[i] = start + i * delta.
void buildRangeKernel(OpBuilder &b, Location loc, llvm::StringRef name, int code);
/// (out [B, M, N], a [B, M, K], b [B, K, N]) f32.
void buildMatmulKernel(OpBuilder &b, Location loc, llvm::StringRef name);
/// (out [BH, S, D], q [BH, S, D], k [BHkv, T, D], v [BHkv, T, D],
/// [mask [B, T] i64,] scratch [4 T] f32, params [bh0, H, group, Hkv] i64).
/// `headDim` is static: rows are vector chunks (unit inner stride).
void buildAttentionKernel(OpBuilder &b, Location loc, llvm::StringRef name, bool causal,
                          bool mask, float scale, int64_t headDim);


// Row kernels, in MLIR's expanded calling convention (runtime/Kernels.cpp
// calls them on blocks of rows). A width < 0: any, read at run time.

/// (in [rows, h], [skip,] weight [h], out, [residual]): s = in (+ skip,
/// stored as the residual), out = s / sqrt(mean(s^2) + eps) * weight.
void buildRMSNormKernel(OpBuilder &b, Location loc, llvm::StringRef name, int64_t h, float eps,
                        bool skip);
/// (x [rows, d], cos, sin [rows', rd / 2], out, H * S, S, the tables' batch
/// stride, first row): rotate-half of the first rd elements.
void buildRotaryKernel(OpBuilder &b, Location loc, llvm::StringRef name, int64_t d, int64_t rd);
/// (in [rows, 2n], out [rows, n]): out = up * silu(gate), the halves of in.
void buildGatedSiluKernel(OpBuilder &b, Location loc, llvm::StringRef name, int64_t n);

} // namespace mlir::phi::cpu

#endif // PHI_LIB_TARGET_CPU_KERNELS_H
