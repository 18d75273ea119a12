//===- BlockQuant.cpp - MatMulNBits block quantization --------------------===//
//
// See BlockQuant.h for the rules; every arithmetic step is f32, in the order
// MLAS performs it, because bit-identity with onnxruntime depends on it.
//
//===----------------------------------------------------------------------===//

#include "phi/Quant/BlockQuant.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <limits>

using namespace mlir::phi;

namespace {

struct BlockParams {
  float scale;
  uint8_t zp;
};

/// Plain min/max parameters of one block (the MLAS rule).
BlockParams rtnParams(const float *x, int64_t n, int64_t stride, int bits,
                      bool symmetric) {
  float lo = std::numeric_limits<float>::max(), hi = -lo;
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i * stride]);
    hi = std::max(hi, x[i * stride]);
  }
  const float qmax = float((1 << bits) - 1);
  const int mid = 1 << (bits - 1);
  if (symmetric) {
    float m = std::fabs(hi) > std::fabs(lo) ? hi : lo;
    return {-m / float(mid), uint8_t(mid)};
  }
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  float scale = (hi - lo) / qmax;
  float zf = scale != 0.0f ? 0.0f - lo / scale : lo;
  uint8_t zp = zf < 0.0f ? 0 : zf > qmax ? uint8_t(qmax) : uint8_t(std::roundf(zf));
  return {scale, zp};
}

inline uint8_t quantizeOne(float v, float rcp, uint8_t zp, float qmax) {
  return uint8_t(std::clamp(std::roundf(v * rcp + float(zp)), 0.0f, qmax));
}

/// Squared reconstruction error of one block under (scale, zp).
double blockError(const float *x, int64_t n, int64_t stride, float scale,
                  uint8_t zp, float qmax) {
  float rcp = scale != 0.0f ? 1.0f / scale : 0.0f;
  double e = 0;
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i * stride];
    float d = (float(quantizeOne(v, rcp, zp, qmax)) - float(zp)) * scale - v;
    e += double(d) * d;
  }
  return e;
}

/// Least-squares scale for fixed codes: argmin_s sum (s * (q - zp) - x)^2.
float lsqScale(const float *x, int64_t n, int64_t stride, float scale, uint8_t zp,
               float qmax) {
  float rcp = scale != 0.0f ? 1.0f / scale : 0.0f;
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i * stride];
    double q = double(quantizeOne(v, rcp, zp, qmax)) - zp;
    num += q * v;
    den += q * q;
  }
  return den > 0 ? float(num / den) : scale;
}

/// Scale search in the spirit of llama.cpp's k-quants and NNCF's scale
/// estimation: for a grid of shrunken/stretched RTN scales (and, asymmetric,
/// zero points around the RTN one), quantize, refit the scale by least
/// squares for those codes, and keep the pair with the least squared
/// reconstruction error. RTN is a candidate, so the result is never worse.
BlockParams searchParams(const float *x, int64_t n, int64_t stride, int bits,
                         bool symmetric) {
  BlockParams best = rtnParams(x, n, stride, bits, symmetric);
  const float qmax = float((1 << bits) - 1);
  double bestErr = blockError(x, n, stride, best.scale, best.zp, qmax);
  if (best.scale == 0.0f)
    return best;
  const float base = best.scale;
  const uint8_t baseZp = best.zp;
  auto consider = [&](float scale, uint8_t zp) {
    double e = blockError(x, n, stride, scale, zp, qmax);
    if (e < bestErr) {
      bestErr = e;
      best = {scale, zp};
    }
  };
  for (int step = -12; step <= 12; ++step) {
    float scale = base * (1.0f + 0.025f * float(step));
    for (int dz = symmetric ? 0 : -2; dz <= (symmetric ? 0 : 2); ++dz) {
      int zp = int(baseZp) + dz;
      if (zp < 0 || zp > int(qmax))
        continue;
      consider(scale, uint8_t(zp));
      consider(lsqScale(x, n, stride, scale, uint8_t(zp), qmax), uint8_t(zp));
    }
  }
  return best;
}

} // namespace

/// IEEE binary32 -> binary16, round to nearest even, with subnormals, inf
/// and NaN (the weight packer converts billions of these, so no APFloat).
uint16_t mlir::phi::floatToHalf(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xFF, man = x & 0x7FFFFF;
  if (exp == 0xFF)
    return uint16_t(sign | 0x7C00 | (man ? 0x200 | (man >> 13) : 0));
  int32_t e = int32_t(exp) - 127 + 15;
  if (e >= 31)
    return uint16_t(sign | 0x7C00);
  if (e <= 0) {
    if (e < -10)
      return uint16_t(sign);
    man |= 0x800000;
    uint32_t shift = uint32_t(14 - e);
    uint32_t half = man >> shift, rem = man & ((1u << shift) - 1),
             mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1)))
      ++half;
    return uint16_t(sign | half);
  }
  uint32_t half = (uint32_t(e) << 10) | (man >> 13), rem = man & 0x1FFF;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    ++half; // may carry into the exponent, which is still correct
  return uint16_t(sign | half);
}

float mlir::phi::halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  uint32_t x;
  if (exp == 0x1F) {
    x = sign | 0x7F800000 | (man << 13);
  } else if (exp == 0) {
    if (!man) {
      x = sign;
    } else { // subnormal: normalize
      int e = -1;
      do {
        man <<= 1;
        ++e;
      } while (!(man & 0x400));
      x = sign | (uint32_t(127 - 15 - e) << 23) | ((man & 0x3FF) << 13);
    }
  } else {
    x = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &x, 4);
  return f;
}

BlockQuantResult mlir::phi::quantizeBlockwise(const float *w, int64_t K,
                                              int64_t N,
                                              const BlockQuantParams &p) {
  const int bits = p.bits;
  const int64_t bs = p.blockSize;
  const int64_t blocks = (K + bs - 1) / bs;
  const int64_t blob = (bs * bits + 7) / 8;
  const int pack = 8 / bits;
  const int64_t zpBytes = (blocks * bits + 7) / 8;
  const float qmax = float((1 << bits) - 1);
  BlockQuantResult r;
  r.codes.assign(N * blocks * blob, 0);
  r.scales.assign(N * blocks, 0.0f);
  std::vector<uint8_t> zps(N * blocks);

  for (int64_t n = 0; n < N; ++n) {
    for (int64_t b = 0; b < blocks; ++b) {
      int64_t len = std::min(bs, K - b * bs);
      const float *x = w + b * bs * N + n;
      BlockParams bp = p.search ? searchParams(x, len, N, bits, p.symmetric)
                                : rtnParams(x, len, N, bits, p.symmetric);
      // fp16 scales: quantize against the scale as it will be stored.
      if (p.halfScales)
        bp.scale = halfToFloat(floatToHalf(bp.scale));
      r.scales[n * blocks + b] = bp.scale;
      zps[n * blocks + b] = bp.zp;
    }
    // Codes, in pairs along K; `vi` survives from pair to pair (MLAS's thread
    // block spans `pack` quantization blocks of one column).
    uint8_t *row = r.codes.data() + n * blocks * blob;
    const int64_t threadRows = bs * pack;
    for (int64_t t = 0; t < K; t += threadRows) {
      int64_t end = std::min(t + threadRows, K);
      uint8_t vi[2] = {0, 0};
      for (int64_t i = t; i < end; i += pack) {
        for (int l = 0; l < pack && i + l < end; ++l) {
          int64_t b = (i + l) / bs;
          float scale = r.scales[n * blocks + b];
          float rcp = scale != 0.0f ? 1.0f / scale : 0.0f;
          vi[l] = quantizeOne(w[(i + l) * N + n], rcp, zps[n * blocks + b], qmax);
        }
        int64_t b = i / bs, within = i % bs;
        uint8_t *dst = row + b * blob + within / pack;
        *dst = bits == 8 ? vi[0] : uint8_t((vi[0] & 0xF) | (vi[1] << 4));
      }
    }
  }
  if (!p.symmetric) {
    r.zeroPoints.assign(N * zpBytes, 0);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t j = 0; j < zpBytes; ++j) {
        if (bits == 8) {
          r.zeroPoints[n * zpBytes + j] = zps[n * blocks + j];
          continue;
        }
        uint8_t lo = zps[n * blocks + 2 * j];
        uint8_t hi = 2 * j + 1 < blocks ? zps[n * blocks + 2 * j + 1] : 8;
        r.zeroPoints[n * zpBytes + j] = uint8_t((lo & 0xF) | (hi << 4));
      }
  }
  return r;
}

std::vector<float> mlir::phi::dequantizeBlockwise(const BlockQuantResult &q,
                                                  int64_t K, int64_t N,
                                                  const BlockQuantParams &p) {
  const int bits = p.bits;
  const int64_t bs = p.blockSize, blocks = (K + bs - 1) / bs;
  const int64_t blob = (bs * bits + 7) / 8, zpBytes = (blocks * bits + 7) / 8;
  std::vector<float> w(K * N);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      int64_t b = k / bs, within = k % bs;
      uint8_t byte = q.codes[(n * blocks + b) * blob + within * bits / 8];
      int code = bits == 8 ? byte : (within % 2 ? byte >> 4 : byte & 0xF);
      int zp = 1 << (bits - 1);
      if (!q.zeroPoints.empty()) {
        uint8_t zb = q.zeroPoints[n * zpBytes + b * bits / 8];
        zp = bits == 8 ? zb : (b % 2 ? zb >> 4 : zb & 0xF);
      }
      w[k * N + n] = float(code - zp) * q.scales[n * blocks + b];
    }
  return w;
}
