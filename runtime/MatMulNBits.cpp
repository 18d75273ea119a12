//===- MatMulNBits.cpp - the quantized matmul kernel ----------------------===//
//
// y[m, n] = sum_k a[m, k] * (q[n, k] - z[n, blk]) * s[n, blk], codes in the
// MatMulNBits layout. Two paths, chosen by the compiler per call (the
// accuracy level, as onnxruntime names it):
//  - 0: float activations; each 32-code block is widened to f32 in
//    registers and multiplied in (the float weight matrix never exists);
//  - 4: activations quantized to int8 per 32 elements (scale amax/127), and
//    each block's dot product done in int8 with 32-bit sums (AVX2
//    maddubs/madd), scaled once per block. Decode is bound by the bytes of
//    weights read; this keeps the arithmetic well below that bound.
// Both have an AVX2 version (chosen at run time) and a portable one.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define PHI_X86 1
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

/// Codes of block (j, blk) as signed values q - z, element order.
void blockValues(const Problem &p, int64_t j, int64_t blk, int8_t *w, int64_t len) {
  const uint8_t *q = p.codes + (j * p.blocks + blk) * p.blob;
  int z = zeroPoint(p, j, blk);
  if (p.bits == 4)
    for (int64_t t = 0; t < len; ++t)
      w[t] = (int8_t)(((t & 1) ? q[t >> 1] >> 4 : q[t >> 1] & 0xF) - z);
  else
    for (int64_t t = 0; t < len; ++t)
      w[t] = (int8_t)std::clamp((int)q[t] - z, -128, 127);
}

void floatRows(const Problem &p, int64_t jb, int64_t je) {
  std::vector<int8_t> w(p.bs);
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
  std::vector<int8_t> w(p.bs);
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

__attribute__((target("avx2"))) inline __m256i load8(const uint8_t *q, int z) {
  // q - z as int8: codes are 0..255 with z = 128 when symmetric.
  __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(q));
  if (z == 128)
    return _mm256_xor_si256(v, _mm256_set1_epi8((char)0x80));
  // Asymmetric 8-bit: widen (rare path).
  alignas(32) int8_t w[32];
  for (int t = 0; t < 32; ++t)
    w[t] = (int8_t)std::clamp((int)q[t] - z, -128, 127);
  return _mm256_load_si256(reinterpret_cast<const __m256i *>(w));
}

__attribute__((target("avx2"))) inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// Signed int8 dot of 32 lanes, as 8 int32 partial sums.
__attribute__((target("avx2"))) inline __m256i dot8(__m256i w, __m256i x) {
  __m256i ax = _mm256_sign_epi8(x, x);
  __m256i sw = _mm256_sign_epi8(w, x);
  __m256i pairs = _mm256_maddubs_epi16(ax, sw);
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

/// One token (decode), symmetric 4-bit: the hot loop of decode. Codes stay
/// unsigned (0..15) for maddubs; the zero point comes off once per block as
/// z * sum(x).
__attribute__((target("avx2,fma"))) void int8Rows4M1AVX2(const Problem &p,
                                                        const QuantA &qa,
                                                        const std::vector<float> &xsum,
                                                        int64_t jb, int64_t je) {
  int64_t sub = p.bs / 32;
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t j = jb; j < je; ++j) {
    __m256 acc = _mm256_setzero_ps();
    float corr = 0;
    const uint8_t *q = p.codes + j * p.blocks * p.blob;
    const float *sw = p.scales + j * p.blocks;
    const int8_t *x = qa.q.data();
    const float *sa = qa.s.data();
    for (int64_t blk = 0; blk < p.blocks; ++blk) {
      for (int64_t u = 0; u < sub; ++u, q += 16, x += 32, ++sa) {
        __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(q));
        __m128i lo = _mm_and_si128(bytes, mask);
        __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
        __m256i w = _mm256_set_m128i(_mm_unpackhi_epi8(lo, hi), _mm_unpacklo_epi8(lo, hi));
        __m256i d = _mm256_madd_epi16(
            _mm256_maddubs_epi16(w, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x))),
            ones);
        float scale = sw[blk] * *sa;
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), _mm256_set1_ps(scale), acc);
        corr += scale * xsum[sa - qa.s.data()];
      }
    }
    p.out[j] = hsum(acc) - 8.0f * corr;
  }
}

__attribute__((target("avx2,fma"))) void int8RowsAVX2(const Problem &p, const QuantA &qa,
                                                     int64_t jb, int64_t je) {
  int64_t sub = p.bs / 32, nsub = qa.kpad / 32;
  std::vector<float> acc(p.m);
  for (int64_t j = jb; j < je; ++j) {
    std::vector<__m256> vacc(p.m, _mm256_setzero_ps());
    const uint8_t *row = p.codes + j * p.blocks * p.blob;
    for (int64_t blk = 0; blk < p.blocks; ++blk) {
      const uint8_t *q = row + blk * p.blob;
      int z = zeroPoint(p, j, blk);
      __m256 sw = _mm256_set1_ps(p.scales[j * p.blocks + blk]);
      for (int64_t u = 0; u < sub; ++u) {
        __m256i w = p.bits == 4 ? unpack4(q + u * 16, z) : load8(q + u * 32, z);
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
        __m256i w = p.bits == 4 ? unpack4(q + u * 16, z) : load8(q + u * 32, z);
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

bool hasAVX2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
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
  // The SIMD paths need whole 32-code sub-blocks.
  bool whole = p.bs % 32 == 0 && p.k % p.bs == 0;
  QuantA qa;
  std::vector<float> xsum;
  if (accuracy == 4) {
    qa = quantizeA(p);
    for (int64_t b = 0; b < qa.kpad / 32; ++b) {
      int32_t t = 0;
      for (int i = 0; i < 32; ++i)
        t += qa.q[b * 32 + i];
      xsum.push_back((float)t);
    }
  }
  bool decode4 = accuracy == 4 && p.m == 1 && p.bits == 4 && !p.zp;
  c.pool->parallelFor(p.n, [&](int64_t jb, int64_t je) {
#ifdef PHI_X86
    if (whole && hasAVX2()) {
      if (decode4)
        int8Rows4M1AVX2(p, qa, xsum, jb, je);
      else if (accuracy == 4)
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
