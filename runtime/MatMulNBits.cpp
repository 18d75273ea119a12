//===- MatMulNBits.cpp - the quantized matmul kernel ----------------------===//
//
// y[m, n] = sum_k a[m, k] * (q[n, k] - z[n, blk]) * s[n, blk], codes in the
// MatMulNBits layout. Two paths, chosen by the compiler per call (the
// accuracy level, as onnxruntime names it):
//  - 0: float activations; each 32-code block is widened to f32 in
//    registers and multiplied in (the float weight matrix never exists);
//  - 4: activations quantized to int8 per 32 elements (scale amax/127), and
//    each block's dot product done in int8 with 32-bit sums (AVX2
//    maddubs/madd, or AVX-VNNI dpbusd), scaled once per block. Decode is
//    bound by the bytes of weights read; this keeps the arithmetic well
//    below that bound.
// Symmetric 4-bit (and 8-bit decode) have x86 kernels for one token
// (decode: two rows per pass, prefetch) and for several (prefill: 16-row x
// 4-token blocks in L1), chosen at run time by CPU features; everything else
// (zero points, odd block sizes, other CPUs) takes AVX2 or portable loops.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"
#include "SIMD.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#define PHI_X86 1
// Software prefetch distance of the decode kernels (bytes ahead in the weight
// stream): the hardware prefetcher alone left them at ~60% of bandwidth.
#define PHI_PF 4096
#endif

using namespace phi::rt;

namespace {

struct Problem {
  const float *a;
  int64_t m, k, n, bits, bs, blocks, blob;
  const uint8_t *codes;
  const float *scales;
  const uint8_t *zp;
  int64_t zpRow;
  float *out;
};

int zeroPoint(const Problem &p, int64_t j, int64_t blk) {
  if (!p.zp)
    return 1 << (p.bits - 1);
  uint8_t byte = p.zp[j * p.zpRow + blk * p.bits / 8];
  return p.bits == 8 ? byte : (blk % 2 ? byte >> 4 : byte & 0xF);
}

/// Codes of block (j, blk) as signed values q - z, element order (int16:
/// asymmetric 8-bit codes span -255..255).
void blockValues(const Problem &p, int64_t j, int64_t blk, int16_t *w, int64_t len) {
  const uint8_t *q = p.codes + (j * p.blocks + blk) * p.blob;
  int z = zeroPoint(p, j, blk);
  if (p.bits == 4)
    for (int64_t t = 0; t < len; ++t)
      w[t] = (int16_t)(((t & 1) ? q[t >> 1] >> 4 : q[t >> 1] & 0xF) - z);
  else
    for (int64_t t = 0; t < len; ++t)
      w[t] = (int16_t)((int)q[t] - z);
}

void floatRows(const Problem &p, int64_t jb, int64_t je) {
  std::vector<int16_t> w(p.bs);
  std::vector<float> acc(p.m);
  for (int64_t j = jb; j < je; ++j) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t blk = 0; blk < p.blocks; ++blk) {
      int64_t len = std::min(p.bs, p.k - blk * p.bs);
      blockValues(p, j, blk, w.data(), len);
      float s = p.scales[j * p.blocks + blk];
      for (int64_t i = 0; i < p.m; ++i) {
        const float *ar = p.a + i * p.k + blk * p.bs;
        float sum = 0;
        for (int64_t t = 0; t < len; ++t)
          sum += ar[t] * (float)w[t];
        acc[i] += sum * s;
      }
    }
    for (int64_t i = 0; i < p.m; ++i)
      p.out[i * p.n + j] = acc[i];
  }
}

/// Activations quantized to int8 per 32 elements.
struct QuantA {
  std::vector<int8_t> q; // [m, kpad]
  std::vector<float> s;  // [m, kpad / 32]
  std::vector<int32_t> sum;
  int64_t kpad;
};

QuantA quantizeA(const Problem &p) {
  QuantA r;
  r.kpad = (p.k + 31) / 32 * 32;
  r.q.assign(p.m * r.kpad, 0);
  r.s.assign(p.m * r.kpad / 32, 0);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t b = 0; b < r.kpad / 32; ++b) {
      const float *x = p.a + i * p.k + b * 32;
      int64_t len = std::min<int64_t>(32, p.k - b * 32);
      float amax = 0;
      for (int64_t t = 0; t < len; ++t)
        amax = std::max(amax, std::fabs(x[t]));
      float s = amax / 127.0f, inv = s ? 1.0f / s : 0.0f;
      r.s[i * r.kpad / 32 + b] = s;
      for (int64_t t = 0; t < len; ++t)
        r.q[i * r.kpad + b * 32 + t] = (int8_t)std::lrintf(x[t] * inv);
    }
  return r;
}

void int8Rows(const Problem &p, const QuantA &qa, int64_t jb, int64_t je) {
  std::vector<int16_t> w(p.bs);
  std::vector<float> acc(p.m);
  int64_t sub = p.bs / 32;
  for (int64_t j = jb; j < je; ++j) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t blk = 0; blk < p.blocks; ++blk) {
      int64_t len = std::min(p.bs, p.k - blk * p.bs);
      blockValues(p, j, blk, w.data(), len);
      float s = p.scales[j * p.blocks + blk];
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t u = 0; u < sub && u * 32 < len; ++u) {
          const int8_t *x = qa.q.data() + i * qa.kpad + blk * p.bs + u * 32;
          int32_t dot = 0;
          for (int64_t t = 0; t < std::min<int64_t>(32, len - u * 32); ++t)
            dot += (int32_t)x[t] * w[u * 32 + t];
          acc[i] += (float)dot * qa.s[i * qa.kpad / 32 + blk * sub + u] * s;
        }
    }
    for (int64_t i = 0; i < p.m; ++i)
      p.out[i * p.n + j] = acc[i];
  }
}

#ifdef PHI_X86
/// 32 codes of a 4-bit block as int8 q - z, element order (2t low, 2t+1 high).
__attribute__((target("avx2"))) inline __m256i unpack4(const uint8_t *q, int z) {
  __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(q));
  __m128i mask = _mm_set1_epi8(0x0F);
  __m128i lo = _mm_and_si128(bytes, mask);
  __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
  __m256i v = _mm256_set_m128i(_mm_unpackhi_epi8(lo, hi), _mm_unpacklo_epi8(lo, hi));
  return _mm256_sub_epi8(v, _mm256_set1_epi8((char)z));
}

/// Symmetric 8-bit codes (zero point 128) as int8 q - 128.
__attribute__((target("avx2"))) inline __m256i load8(const uint8_t *q) {
  return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(q)),
                          _mm256_set1_epi8((char)0x80));
}

/// Signed int8 dot of 32 lanes (w in -128..127, x in -127..127), as 8 int32
/// partial sums: maddubs(|w|, x * sign(w)); |w| = 128 is a valid unsigned
/// byte and |pair sums| <= 2 * 128 * 127 fit in int16, so this is exact.
__attribute__((target("avx2"))) inline __m256i dot8(__m256i w, __m256i x) {
  __m256i pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

__attribute__((target("avx2,fma"))) void int8RowsAVX2(const Problem &p, const QuantA &qa,
                                                     int64_t jb, int64_t je) {
  int64_t sub = p.bs / 32, nsub = qa.kpad / 32;
  for (int64_t j = jb; j < je; ++j) {
    std::vector<__m256> vacc(p.m, _mm256_setzero_ps());
    const uint8_t *row = p.codes + j * p.blocks * p.blob;
    for (int64_t blk = 0; blk < p.blocks; ++blk) {
      const uint8_t *q = row + blk * p.blob;
      int z = zeroPoint(p, j, blk);
      __m256 sw = _mm256_set1_ps(p.scales[j * p.blocks + blk]);
      for (int64_t u = 0; u < sub; ++u) {
        __m256i w = p.bits == 4 ? unpack4(q + u * 16, z) : load8(q + u * 32);
        for (int64_t i = 0; i < p.m; ++i) {
          const int8_t *x = qa.q.data() + i * qa.kpad + (blk * sub + u) * 32;
          __m256i d = dot8(w, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x)));
          __m256 scale = _mm256_mul_ps(sw, _mm256_set1_ps(qa.s[i * nsub + blk * sub + u]));
          vacc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), scale, vacc[i]);
        }
      }
    }
    for (int64_t i = 0; i < p.m; ++i)
      p.out[i * p.n + j] = hsum(vacc[i]);
  }
}

__attribute__((target("avx2,fma"))) void floatRowsAVX2(const Problem &p, int64_t jb,
                                                      int64_t je) {
  int64_t sub = p.bs / 32;
  for (int64_t j = jb; j < je; ++j) {
    std::vector<__m256> vacc(p.m, _mm256_setzero_ps());
    const uint8_t *row = p.codes + j * p.blocks * p.blob;
    for (int64_t blk = 0; blk < p.blocks; ++blk) {
      const uint8_t *q = row + blk * p.blob;
      int z = zeroPoint(p, j, blk);
      __m256 sw = _mm256_set1_ps(p.scales[j * p.blocks + blk]);
      for (int64_t u = 0; u < sub; ++u) {
        __m256i w = p.bits == 4 ? unpack4(q + u * 16, z) : load8(q + u * 32);
        __m128i w0 = _mm256_castsi256_si128(w), w1 = _mm256_extracti128_si256(w, 1);
        __m256 f[4] = {_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(w0)),
                       _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(w0, 8))),
                       _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(w1)),
                       _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(w1, 8)))};
        for (int64_t i = 0; i < p.m; ++i) {
          const float *x = p.a + i * p.k + (blk * sub + u) * 32;
          __m256 d = _mm256_mul_ps(_mm256_loadu_ps(x), f[0]);
          d = _mm256_fmadd_ps(_mm256_loadu_ps(x + 8), f[1], d);
          d = _mm256_fmadd_ps(_mm256_loadu_ps(x + 16), f[2], d);
          d = _mm256_fmadd_ps(_mm256_loadu_ps(x + 24), f[3], d);
          vacc[i] = _mm256_fmadd_ps(d, sw, vacc[i]);
        }
      }
    }
    for (int64_t i = 0; i < p.m; ++i)
      p.out[i * p.n + j] = hsum(vacc[i]);
  }
}

/// What the symmetric 4/8-bit kernels share across rows, made once per call
/// (for each of the m tokens).
/// Activations are reordered per 32-element block to match the 4-bit layout
/// as it sits in memory: element 2t is the low nibble of byte t, 2t+1 the
/// high one, so a block's 16 bytes give "even elements" from their low
/// nibbles and "odd elements" from their high nibbles without any shuffle.
struct DecodeA {
  std::vector<int8_t> q;   // int8 path [m, K]: [even 16 | odd 16] per block (4-bit) or natural
  std::vector<float> f;    // float path [m, K]: per 16 elements [8 even | 8 odd]
  std::vector<float> sa;   // int8 path [m, K / 32]: activation scale per 32-block
  std::vector<float> sx;   // [m, K / 32] int8 path: sa * sum(q); float path: sum(x)
};

DecodeA prepareDecode(const Problem &p, bool int8Acts) {
  DecodeA d;
  int64_t nsub = p.k / 32;
  d.sx.resize(p.m * nsub);
  if (!int8Acts) {
    d.f.resize(p.m * p.k);
    for (int64_t u = 0; u < p.m * nsub; ++u) {
      const float *x = p.a + u * 32;
      float *o = d.f.data() + u * 32;
      float sum = 0;
      for (int c = 0; c < 2; ++c)
        for (int t = 0; t < 8; ++t) {
          o[c * 16 + t] = x[c * 16 + 2 * t];
          o[c * 16 + 8 + t] = x[c * 16 + 2 * t + 1];
        }
      for (int t = 0; t < 32; ++t)
        sum += x[t];
      d.sx[u] = sum;
    }
    return d;
  }
  d.q.resize(p.m * p.k);
  d.sa.resize(p.m * nsub);
  for (int64_t u = 0; u < p.m * nsub; ++u) {
    const float *x = p.a + u * 32;
    float amax = 0;
    for (int t = 0; t < 32; ++t)
      amax = std::max(amax, std::fabs(x[t]));
    float s = amax / 127.0f, inv = s ? 1.0f / s : 0.0f;
    int8_t qx[32];
    int32_t sum = 0;
    for (int t = 0; t < 32; ++t) {
      qx[t] = (int8_t)std::lrintf(x[t] * inv);
      sum += qx[t];
    }
    int8_t *o = d.q.data() + u * 32;
    for (int t = 0; t < 16; ++t) {
      if (p.bits == 4) {
        o[t] = qx[2 * t];
        o[16 + t] = qx[2 * t + 1];
      } else {
        o[t] = qx[t];
        o[16 + t] = qx[16 + t];
      }
    }
    d.sa[u] = s;
    d.sx[u] = s * (float)sum;
  }
  return d;
}

/// Per row: comb[u] = weight scale * activation scale of block u (or just the
/// weight scale; comb may be null when only the correction is wanted), and the
/// zero-point correction sum_u wscale * sx[u].
__attribute__((target("avx2,fma"))) inline float rowScales(const Problem &p, int64_t j,
                                                          const float *sa, const float *sx,
                                                          float *comb) {
  int64_t nsub = p.k / 32, sub = p.bs / 32, u = 0;
  const float *sw = p.scales + j * p.blocks;
  float corr = 0;
  if (sub == 1) {
    __m256 cv = _mm256_setzero_ps();
    for (; u + 8 <= nsub; u += 8) {
      __m256 w = _mm256_loadu_ps(sw + u);
      if (comb)
        _mm256_storeu_ps(comb + u, sa ? _mm256_mul_ps(w, _mm256_loadu_ps(sa + u)) : w);
      cv = _mm256_fmadd_ps(w, _mm256_loadu_ps(sx + u), cv);
    }
    corr = hsum(cv);
  }
  for (; u < nsub; ++u) {
    float w = sw[u / sub];
    if (comb)
      comb[u] = sa ? w * sa[u] : w;
    corr += w * sx[u];
  }
  return corr;
}

/// Symmetric 4-bit codes of a 32-block as unsigned bytes: low 128 bits the
/// low nibbles (even elements), high 128 bits the high nibbles (odd ones).
/// One broadcast load, one variable shift and one and: no shuffle port.
__attribute__((target("avx2"))) inline __m256i nibbles(const uint8_t *q) {
  __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(q)));
  return _mm256_and_si256(_mm256_srlv_epi64(v, _mm256_set_epi64x(4, 4, 0, 0)),
                          _mm256_set1_epi8(0x0F));
}

__attribute__((target("avx2"))) inline __m256i dotU4(const uint8_t *q, const int8_t *x) {
  return _mm256_madd_epi16(
      _mm256_maddubs_epi16(nibbles(q),
                           _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x))),
      _mm256_set1_epi16(1));
}

/// Decode, 4-bit, int8 activations: two rows at a time (sharing the
/// activation loads), two blocks per step (independent accumulators).
__attribute__((target("avx2,fma"))) void decode4Int8AVX2(const Problem &p, const DecodeA &d,
                                                        int64_t jb, int64_t je) {
  int64_t nsub = p.k / 32, row = p.blocks * p.blob;
  std::vector<float> comb(2 * nsub);
  const int8_t *x = d.q.data();
  int64_t j = jb;
  for (; j + 2 <= je; j += 2) {
    float c0 = rowScales(p, j, d.sa.data(), d.sx.data(), comb.data());
    float c1 = rowScales(p, j + 1, d.sa.data(), d.sx.data(), comb.data() + nsub);
    const uint8_t *q0 = p.codes + j * row, *q1 = q0 + row;
    const float *s0 = comb.data(), *s1 = s0 + nsub;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0;
    int64_t u = 0;
    for (; u + 2 <= nsub; u += 2) {
      _mm_prefetch(reinterpret_cast<const char *>(q0 + 16 * u + PHI_PF), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char *>(q1 + 16 * u + PHI_PF), _MM_HINT_T0);
      a0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotU4(q0 + 16 * u, x + 32 * u)),
                           _mm256_broadcast_ss(s0 + u), a0);
      b0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotU4(q1 + 16 * u, x + 32 * u)),
                           _mm256_broadcast_ss(s1 + u), b0);
      a1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotU4(q0 + 16 * u + 16, x + 32 * u + 32)),
                           _mm256_broadcast_ss(s0 + u + 1), a1);
      b1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotU4(q1 + 16 * u + 16, x + 32 * u + 32)),
                           _mm256_broadcast_ss(s1 + u + 1), b1);
    }
    for (; u < nsub; ++u) {
      a0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotU4(q0 + 16 * u, x + 32 * u)),
                           _mm256_broadcast_ss(s0 + u), a0);
      b0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotU4(q1 + 16 * u, x + 32 * u)),
                           _mm256_broadcast_ss(s1 + u), b0);
    }
    p.out[j] = hsum(_mm256_add_ps(a0, a1)) - 8.0f * c0;
    p.out[j + 1] = hsum(_mm256_add_ps(b0, b1)) - 8.0f * c1;
  }
  for (; j < je; ++j) {
    float c0 = rowScales(p, j, d.sa.data(), d.sx.data(), comb.data());
    const uint8_t *q0 = p.codes + j * row;
    __m256 a0 = _mm256_setzero_ps();
    for (int64_t u = 0; u < nsub; ++u)
      a0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotU4(q0 + 16 * u, x + 32 * u)),
                           _mm256_broadcast_ss(comb.data() + u), a0);
    p.out[j] = hsum(a0) - 8.0f * c0;
  }
}

/// Decode, symmetric 8-bit (codes q with zero point 128), int8 activations.
__attribute__((target("avx2"))) inline __m256i dotS8(const uint8_t *q, const int8_t *x) {
  return dot8(load8(q), _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x)));
}

__attribute__((target("avx2,fma"))) void decode8Int8AVX2(const Problem &p, const DecodeA &d,
                                                        int64_t jb, int64_t je) {
  int64_t nsub = p.k / 32, row = p.blocks * p.blob;
  std::vector<float> comb(nsub);
  const int8_t *x = d.q.data();
  for (int64_t j = jb; j < je; ++j) {
    rowScales(p, j, d.sa.data(), d.sx.data(), comb.data());
    const uint8_t *q = p.codes + j * row;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int64_t u = 0;
    for (; u + 2 <= nsub; u += 2) {
      _mm_prefetch(reinterpret_cast<const char *>(q + 32 * u + PHI_PF), _MM_HINT_T0);
      a0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotS8(q + 32 * u, x + 32 * u)),
                           _mm256_broadcast_ss(comb.data() + u), a0);
      a1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotS8(q + 32 * u + 32, x + 32 * u + 32)),
                           _mm256_broadcast_ss(comb.data() + u + 1), a1);
    }
    for (; u < nsub; ++u)
      a0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dotS8(q + 32 * u, x + 32 * u)),
                           _mm256_broadcast_ss(comb.data() + u), a0);
    p.out[j] = hsum(_mm256_add_ps(a0, a1));
  }
}

/// Decode, 4-bit, f32 activations: 8 codes at a time widened to 32-bit lanes
/// from memory, nibbles split with and/shift, converted and multiplied in;
/// the zero point comes off once per row as 8 * sum_u scale * sum(x_u).
__attribute__((target("avx2,fma"))) inline __m256 dotF4(const uint8_t *q, const float *x) {
  __m256i v0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(q)));
  __m256i v1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(q + 8)));
  const __m256i m = _mm256_set1_epi32(0x0F);
  __m256 d0 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(v0, m)), _mm256_loadu_ps(x));
  __m256 d1 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(v1, m)), _mm256_loadu_ps(x + 16));
  d0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(v0, 4)), _mm256_loadu_ps(x + 8), d0);
  d1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(v1, 4)), _mm256_loadu_ps(x + 24), d1);
  return _mm256_add_ps(d0, d1);
}

__attribute__((target("avx2,fma"))) void decode4FloatAVX2(const Problem &p, const DecodeA &d,
                                                         int64_t jb, int64_t je) {
  int64_t nsub = p.k / 32, row = p.blocks * p.blob;
  std::vector<float> comb(nsub);
  const float *x = d.f.data();
  for (int64_t j = jb; j < je; ++j) {
    float c = rowScales(p, j, nullptr, d.sx.data(), comb.data());
    const uint8_t *q = p.codes + j * row;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int64_t u = 0;
    for (; u + 2 <= nsub; u += 2) {
      _mm_prefetch(reinterpret_cast<const char *>(q + 16 * u + PHI_PF), _MM_HINT_T0);
      a0 = _mm256_fmadd_ps(dotF4(q + 16 * u, x + 32 * u), _mm256_broadcast_ss(comb.data() + u), a0);
      a1 = _mm256_fmadd_ps(dotF4(q + 16 * u + 16, x + 32 * u + 32),
                           _mm256_broadcast_ss(comb.data() + u + 1), a1);
    }
    for (; u < nsub; ++u)
      a0 = _mm256_fmadd_ps(dotF4(q + 16 * u, x + 32 * u), _mm256_broadcast_ss(comb.data() + u), a0);
    p.out[j] = hsum(_mm256_add_ps(a0, a1)) - 8.0f * c;
  }
}

/// Several tokens (prefill), symmetric 4-bit: per output row, each block is
/// unpacked once and multiplied into a tile of NT tokens (fixed at compile
/// time, so the accumulators stay in registers). A row (1.5 KB at K = 3072)
/// stays in L1 across token tiles, so the weights stream from memory once per
/// call whatever m is. `comb` holds each token's combined scales for the row.
// The int8 tile twice: AVX2 (maddubs + madd) and AVX-VNNI (one dpbusd).
#define PHI_TILE4_INT8(NAME, TARGET, DOT)                                                  \
  template <int NT>                                                                        \
  __attribute__((target(TARGET))) void NAME(const Problem &p, const DecodeA &d,            \
                                            const uint8_t *q, const float *comb,           \
                                            const float *corr, int64_t t0, int64_t j) {    \
    int64_t nsub = p.k / 32;                                                               \
    __m256 acc[NT];                                                                        \
    for (int t = 0; t < NT; ++t)                                                           \
      acc[t] = _mm256_setzero_ps();                                                        \
    const int8_t *x = d.q.data() + t0 * p.k;                                               \
    const float *cs = comb; /* [NT, nsub], this tile's tokens */                            \
    for (int64_t u = 0; u < nsub; ++u) {                                                   \
      __m256i w = nibbles(q + 16 * u);                                                     \
      for (int t = 0; t < NT; ++t) {                                                       \
        __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + t * p.k + 32 * u)); \
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(DOT(w, xv)),                           \
                                 _mm256_broadcast_ss(cs + t * nsub + u), acc[t]);          \
      }                                                                                    \
    }                                                                                      \
    for (int t = 0; t < NT; ++t)                                                           \
      p.out[(t0 + t) * p.n + j] = hsum(acc[t]) - 8.0f * corr[t];                           \
  }
#define PHI_DOT_AVX2(w, x) _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), _mm256_set1_epi16(1))
#define PHI_DOT_VNNI(w, x) _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), w, x)
PHI_TILE4_INT8(tile4Int8, "avx2,fma", PHI_DOT_AVX2)
PHI_TILE4_INT8(tile4Int8VNNI, "avx2,fma,avxvnni", PHI_DOT_VNNI)

template <int NT>
__attribute__((target("avx2,fma"))) void tile4Float(const Problem &p, const DecodeA &d,
                                                   const uint8_t *q, const float *comb,
                                                   const float *corr, int64_t t0, int64_t j) {
  int64_t nsub = p.k / 32;
  const __m256i m = _mm256_set1_epi32(0x0F);
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t)
    acc[t] = _mm256_setzero_ps();
  const float *x = d.f.data() + t0 * p.k;
  for (int64_t u = 0; u < nsub; ++u) {
    __m256i v0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(q + 16 * u)));
    __m256i v1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(q + 16 * u + 8)));
    __m256 w0 = _mm256_cvtepi32_ps(_mm256_and_si256(v0, m));
    __m256 w1 = _mm256_cvtepi32_ps(_mm256_srli_epi32(v0, 4));
    __m256 w2 = _mm256_cvtepi32_ps(_mm256_and_si256(v1, m));
    __m256 w3 = _mm256_cvtepi32_ps(_mm256_srli_epi32(v1, 4));
    __m256 sw = _mm256_broadcast_ss(comb + u);
    for (int t = 0; t < NT; ++t) {
      const float *xt = x + t * p.k + 32 * u;
      __m256 dp = _mm256_mul_ps(w0, _mm256_loadu_ps(xt));
      dp = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xt + 8), dp);
      dp = _mm256_fmadd_ps(w2, _mm256_loadu_ps(xt + 16), dp);
      dp = _mm256_fmadd_ps(w3, _mm256_loadu_ps(xt + 24), dp);
      acc[t] = _mm256_fmadd_ps(dp, sw, acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t)
    p.out[(t0 + t) * p.n + j] = hsum(acc[t]) - 8.0f * corr[t];
}

bool hasVNNI();

__attribute__((target("avx2,fma"))) void prefill4AVX2(const Problem &p, const DecodeA &d,
                                                     bool int8Acts, int64_t jb, int64_t je) {
  // Blocks of 16 rows (24 KiB of codes at K = 3072) against tiles of 4
  // tokens: both stay in L1 while the other is swept, so neither the weights
  // nor the activations are re-read from further out per row or per token.
  constexpr int64_t kRows = 16;
  int64_t nsub = p.k / 32, row = p.blocks * p.blob;
  std::vector<float> comb(4 * nsub);
  float corr[4];
  const bool vnni = int8Acts && hasVNNI();
  for (int64_t j0 = jb; j0 < je; j0 += kRows)
    for (int64_t t0 = 0; t0 < p.m; t0 += 4) {
      int64_t nt = std::min<int64_t>(4, p.m - t0);
      for (int64_t j = j0; j < std::min(j0 + kRows, je); ++j) {
        // Each token's combined scales for this row (f32 activations: the
        // weight scales alone, the same for every token).
        for (int64_t t = 0; t < nt; ++t)
          corr[t] = int8Acts ? rowScales(p, j, d.sa.data() + (t0 + t) * nsub,
                                         d.sx.data() + (t0 + t) * nsub, comb.data() + t * nsub)
                             : rowScales(p, j, nullptr, d.sx.data() + (t0 + t) * nsub,
                                         t == 0 ? comb.data() : nullptr);
        const uint8_t *q = p.codes + j * row;
        auto tile = [&](auto n) {
          constexpr int NT = decltype(n)::value;
          if (!int8Acts)
            tile4Float<NT>(p, d, q, comb.data(), corr, t0, j);
          else if (vnni)
            tile4Int8VNNI<NT>(p, d, q, comb.data(), corr, t0, j);
          else
            tile4Int8<NT>(p, d, q, comb.data(), corr, t0, j);
        };
        switch (nt) {
        case 4: tile(std::integral_constant<int, 4>()); break;
        case 3: tile(std::integral_constant<int, 3>()); break;
        case 2: tile(std::integral_constant<int, 2>()); break;
        default: tile(std::integral_constant<int, 1>()); break;
        }
      }
    }
}

/// Prefill of many tokens, f32 activations, any bits and zero points: NB
/// (16; 32 with AVX-512) output columns at a time are dequantized once per
/// call into an f32 panel laid out [K][NB] (scale and zero point applied:
/// rows dequantized contiguously, then transposed 8 x 8 in registers), and a
/// register-blocked 6 x NB FMA kernel runs over all tokens (12 accumulators,
/// each k step two panel loads and six broadcasts). The dequantization is
/// amortized over m tokens, where the tile kernels above repeat it per tile
/// of 4.

/// Row j of the weights, dequantized to f32 (len k).
void dequantRow(const Problem &p, int64_t j, float *out) {
  std::vector<int16_t> w(p.bs);
  for (int64_t blk = 0; blk < p.blocks; ++blk) {
    int64_t len = std::min(p.bs, p.k - blk * p.bs);
    float sc = p.scales[j * p.blocks + blk];
    float *o = out + blk * p.bs;
    if (p.bits == 4) {
      const uint8_t *q = p.codes + (j * p.blocks + blk) * p.blob;
      float z = (float)zeroPoint(p, j, blk);
      for (int64_t t = 0; t + 1 < len; t += 2) {
        o[t] = ((float)(q[t >> 1] & 0xF) - z) * sc;
        o[t + 1] = ((float)(q[t >> 1] >> 4) - z) * sc;
      }
      if (len & 1)
        o[len - 1] = ((float)(q[len >> 1] & 0xF) - z) * sc;
    } else {
      blockValues(p, j, blk, w.data(), len);
      for (int64_t t = 0; t < len; ++t)
        o[t] = (float)w[t] * sc;
    }
  }
}

/// rows[r][k0..k0+8) for r in [r0, r0+8) -> panel[k0 + i][r0 + r] (ld nb).
__attribute__((target("avx2,fma"))) inline void transpose8(const float *rows, int64_t k,
                                                          int64_t k0, int64_t r0, float *panel,
                                                          int64_t nb) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i)
    r[i] = _mm256_loadu_ps(rows + (r0 + i) * k + k0);
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    r[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(panel + (k0 + i) * nb + r0, _mm256_permute2f128_ps(r[i], r[4 + i], 0x20));
    _mm256_storeu_ps(panel + (k0 + 4 + i) * nb + r0, _mm256_permute2f128_ps(r[i], r[4 + i], 0x31));
  }
}

/// Fills panel [K][nb] with columns j0 .. j0 + nj (the rest zero).
__attribute__((target("avx2,fma"))) void fillPanel(const Problem &p, int64_t j0, int64_t nj,
                                                  int64_t nb, float *rows, float *panel) {
  for (int64_t r = 0; r < nb; ++r)
    if (r < nj)
      dequantRow(p, j0 + r, rows + r * p.k);
    else
      memset(rows + r * p.k, 0, p.k * 4);
  int64_t k8 = p.k / 8 * 8;
  for (int64_t r0 = 0; r0 < nb; r0 += 8)
    for (int64_t k0 = 0; k0 < k8; k0 += 8)
      transpose8(rows, p.k, k0, r0, panel, nb);
  for (int64_t t = k8; t < p.k; ++t)
    for (int64_t r = 0; r < nb; ++r)
      panel[t * nb + r] = rows[r * p.k + t];
}

template <int MR>
__attribute__((target("avx2,fma"))) void panelTile(const float *a, int64_t k, const float *panel,
                                                  float *c, int64_t ldc, int64_t nj) {
  __m256 acc[MR][2];
  for (int r = 0; r < MR; ++r)
    acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t t = 0; t < k; ++t) {
    __m256 b0 = _mm256_load_ps(panel + t * 16), b1 = _mm256_load_ps(panel + t * 16 + 8);
    for (int r = 0; r < MR; ++r) {
      __m256 av = _mm256_broadcast_ss(a + r * k + t);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    alignas(32) float tmp[16];
    _mm256_store_ps(tmp, acc[r][0]);
    _mm256_store_ps(tmp + 8, acc[r][1]);
    memcpy(c + r * ldc, tmp, nj * 4);
  }
}

template <int MR>
__attribute__((target("avx512f"))) void panelTile512(const float *a, int64_t k,
                                                    const float *panel, float *c, int64_t ldc,
                                                    int64_t nj) {
  __m512 acc[MR][2];
  for (int r = 0; r < MR; ++r)
    acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t t = 0; t < k; ++t) {
    __m512 b0 = _mm512_load_ps(panel + t * 32), b1 = _mm512_load_ps(panel + t * 32 + 16);
    for (int r = 0; r < MR; ++r) {
      __m512 av = _mm512_set1_ps(a[r * k + t]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    alignas(64) float tmp[32];
    _mm512_store_ps(tmp, acc[r][0]);
    _mm512_store_ps(tmp + 16, acc[r][1]);
    memcpy(c + r * ldc, tmp, nj * 4);
  }
}

bool hasAVX512();

__attribute__((target("avx2,fma"))) void prefillPanelAVX2(const Problem &p, int64_t jb,
                                                         int64_t je) {
  const bool wide = hasAVX512();
  const int64_t NB = wide ? 32 : 16;
  size_t bytes = ((p.k * NB * 4 + 63) / 64) * 64;
  float *panel = static_cast<float *>(aligned_alloc(64, bytes));
  std::vector<float> rows(NB * p.k);
  for (int64_t j0 = jb; j0 < je; j0 += NB) {
    int64_t nj = std::min(NB, je - j0);
    fillPanel(p, j0, nj, NB, rows.data(), panel);
    for (int64_t t0 = 0; t0 < p.m; t0 += 6) {
      const float *a = p.a + t0 * p.k;
      float *c = p.out + t0 * p.n + j0;
      auto tile = [&](auto n) {
        constexpr int MR = decltype(n)::value;
        if (wide)
          panelTile512<MR>(a, p.k, panel, c, p.n, nj);
        else
          panelTile<MR>(a, p.k, panel, c, p.n, nj);
      };
      switch (std::min<int64_t>(6, p.m - t0)) {
      case 6: tile(std::integral_constant<int, 6>()); break;
      case 5: tile(std::integral_constant<int, 5>()); break;
      case 4: tile(std::integral_constant<int, 4>()); break;
      case 3: tile(std::integral_constant<int, 3>()); break;
      case 2: tile(std::integral_constant<int, 2>()); break;
      default: tile(std::integral_constant<int, 1>()); break;
      }
    }
  }
  free(panel);
}

/// From how many tokens prefill takes the panel GEMM (measured crossovers on
/// a 2-core AVX-512 Xeon: ~24 tokens against the f32 tiles, ~64 against the
/// int8 ones); PHI_PANEL_MIN_TOKENS overrides both (the tests run both paths).
int64_t panelMinTokens(bool int8Acts) {
  static const char *env = getenv("PHI_PANEL_MIN_TOKENS");
  if (env)
    return atoll(env);
  return int8Acts ? 64 : 24;
}

/// AVX-512F for the panel GEMM; PHI_NO_AVX512=1 keeps it at AVX2.
bool hasAVX512() {
  static const bool yes = __builtin_cpu_supports("avx512f") && !getenv("PHI_NO_AVX512");
  return yes;
}

bool hasAVX2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

/// AVX-VNNI dot products; PHI_NO_VNNI=1 forces the AVX2 ones (tests cover both).
bool hasVNNI() {
  static const bool yes = __builtin_cpu_supports("avxvnni") && !getenv("PHI_NO_VNNI");
  return yes;
}
#endif

} // namespace

extern "C" {

/// slots: [out, a, b, scales, zero_points | -1]; ia: [bits, block, K, N,
/// accuracy (0: float activations, 4: int8 activations)]
void phi_rt_matmul_nbits(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  Context &c = *static_cast<Context *>(rtp);
  if (c.failed())
    return;
  const Tensor &in = c.at(s[1]);
  Problem p;
  p.bits = ia[0];
  p.bs = ia[1];
  p.k = ia[2];
  p.n = ia[3];
  int64_t accuracy = ia[4];
  if (in.shape.empty() || in.shape.back() != p.k)
    return c.fail("matmul_nbits: input's last dim is not K = " + std::to_string(p.k));
  p.blocks = (p.k + p.bs - 1) / p.bs;
  p.blob = p.bs * p.bits / 8;
  p.m = in.numel() / p.k;
  p.a = in.as<float>();
  p.codes = c.at(s[2]).as<uint8_t>();
  const Tensor &sc = c.at(s[3]);
  std::vector<float> scales;
  if (sc.dt == F16) {
    scales.resize(sc.numel());
    for (int64_t i = 0; i < sc.numel(); ++i)
      scales[i] = halfToFloat(sc.as<uint16_t>()[i]);
    p.scales = scales.data();
  } else {
    p.scales = sc.as<float>();
  }
  p.zp = s[4] >= 0 ? c.at(s[4]).as<uint8_t>() : nullptr;
  p.zpRow = (p.blocks * p.bits + 7) / 8;
  std::vector<int64_t> shape = in.shape;
  shape.back() = p.n;
  Tensor out = alloc(F32, shape);
  p.out = out.as<float>();
  // The SIMD paths need whole 32-code sub-blocks, and int8 weight vectors:
  // asymmetric 8-bit codes (q - z in -255..255) take the portable path.
  bool whole = p.bs % 32 == 0 && p.k % p.bs == 0 && !(p.bits == 8 && p.zp);
#ifdef PHI_X86
  // Many tokens: dequantized panels and an f32 FMA GEMM, at either accuracy
  // level (4 is a minimum, as in onnxruntime: f32 is at least as accurate).
  if (p.m >= panelMinTokens(accuracy == 4) && hasAVX2()) {
    c.pool->parallelFor(p.n, [&](int64_t jb, int64_t je) { prefillPanelAVX2(p, jb, je); }, 32);
    c.at(s[0]) = std::move(out);
    return;
  }
  // Symmetric 4-bit (either activation type) and 8-bit with int8
  // activations: the decode (one token) and prefill kernels.
  if (whole && !p.zp && (p.bits == 4 || (p.bits == 8 && accuracy == 4 && p.m == 1)) &&
      hasAVX2()) {
    DecodeA d = prepareDecode(p, accuracy == 4);
    c.pool->parallelFor(p.n, [&](int64_t jb, int64_t je) {
      if (p.bits == 8)
        decode8Int8AVX2(p, d, jb, je);
      else if (p.m > 1)
        prefill4AVX2(p, d, accuracy == 4, jb, je);
      else
        accuracy == 4 ? decode4Int8AVX2(p, d, jb, je) : decode4FloatAVX2(p, d, jb, je);
    }, 16);
    c.at(s[0]) = std::move(out);
    return;
  }
#endif
  QuantA qa;
  if (accuracy == 4)
    qa = quantizeA(p);
  c.pool->parallelFor(p.n, [&](int64_t jb, int64_t je) {
#ifdef PHI_X86
    if (whole && hasAVX2()) {
      if (accuracy == 4)
        int8RowsAVX2(p, qa, jb, je);
      else
        floatRowsAVX2(p, jb, je);
      return;
    }
#endif
    if (accuracy == 4 && p.bs % 32 == 0)
      int8Rows(p, qa, jb, je);
    else
      floatRows(p, jb, je);
  }, 16);
  c.at(s[0]) = std::move(out);
}

} // extern "C"
