//===- BlockQuant.h - MatMulNBits block quantization ------------*- C++ -*-===//
//
// Reference quantizers for phi.quantize_nbits, bit-exact with onnxruntime's
// MatMulNBits quantizer (MLAS BlockwiseQuantizer, as called by
// onnxruntime.quantization's MatMulNBitsQuantizer):
//
//  - blocks of `blockSize` along K for every output column n;
//  - symmetric: m = the element of largest magnitude, with its sign;
//    scale = -m / 2^(bits-1); zero point 2^(bits-1) (not stored);
//  - asymmetric: lo = min(x, 0), hi = max(x, 0), scale = (hi - lo) / (2^bits - 1),
//    zp = roundf(-lo / scale) clamped to [0, 2^bits - 1];
//  - code = clamp(roundf(x * (1 / scale) + zp), 0, 2^bits - 1) in f32, where
//    roundf rounds halves away from zero;
//  - 4-bit codes pack two per byte, element 2j in the low nibble; zero points
//    pack the same way along the blocks of a row, a missing last nibble is 8;
//  - K positions past the end of the last block are left 0, except that when
//    K is odd the high nibble of the last byte repeats the high nibble of the
//    previous pair of the same row (MLAS keeps that register between pairs).
//
//===----------------------------------------------------------------------===//
#ifndef PHI_QUANT_BLOCKQUANT_H
#define PHI_QUANT_BLOCKQUANT_H

#include <cstdint>
#include <vector>

namespace mlir::phi {

struct BlockQuantParams {
  int bits = 4;            // 4 or 8
  int64_t blockSize = 32;  // elements of K per block (per-channel: K)
  bool symmetric = true;
  /// Search each block's scale (and zero point) for the least squared
  /// reconstruction error instead of plain min/max rounding (RTN).
  bool search = false;
  /// Scales will be stored as fp16: codes are computed against the rounded
  /// scale (phi's rule; onnxruntime's fp32 quantizer has no such mode).
  bool halfScales = false;
};

/// IEEE binary32 <-> binary16, round to nearest even (subnormals, inf, NaN).
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);

struct BlockQuantResult {
  std::vector<uint8_t> codes;  // [N, blocks, blockSize * bits / 8]
  std::vector<float> scales;   // [N, blocks]
  std::vector<uint8_t> zeroPoints; // [N, ceil(blocks * bits / 8)], asymmetric only
};

/// Quantizes `w`, row-major [K, N] (ONNX MatMul's B).
BlockQuantResult quantizeBlockwise(const float *w, int64_t K, int64_t N,
                                   const BlockQuantParams &p);

/// Dequantizes back to row-major [K, N] (for error measurements).
std::vector<float> dequantizeBlockwise(const BlockQuantResult &q, int64_t K,
                                       int64_t N, const BlockQuantParams &p);

} // namespace mlir::phi

#endif // PHI_QUANT_BLOCKQUANT_H
