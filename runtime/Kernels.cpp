//===- Kernels.cpp - runtime entries: shapes, row kernels, float matmul ----===//
//
// `phi_rt_<op>(rt, slots, int_attrs, float_attrs[, fn])`. `slots` lists
// result slots first, then operand slots (-1 for an absent optional operand);
// the attribute layout of each op is written next to it and must match
// lib/Target/CPU/EmitCPU.cpp. Here: the shape-only ops (metadata), the float
// weight matmul microkernel, and the entries of the row kernels the compiler
// generated (`fn`, MLIR's expanded memref convention): rms_norm, rotary,
// gated_silu. The other generated kernels' entries are in Generated.cpp.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"
#include "SIMD.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace phi::rt;

namespace {

#define RT Context &c = *static_cast<Context *>(rtp); if (c.failed()) return
#define IN(i) const Tensor &in##i = dense(c, s[i])

#if defined(__x86_64__)
#define PHI_KERNELS_X86 1
bool hasAVX2F16C() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          __builtin_cpu_supports("f16c");
  return yes;
}

/// 8 weights of row `wr` (f32 or f16) from element t, as f32.
__attribute__((target("avx2,fma,f16c"))) inline __m256 load8w(const Tensor &w, const uint8_t *wr,
                                                            int64_t t) {
  if (w.dt == F16)
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(wr + 2 * t)));
  return _mm256_loadu_ps(reinterpret_cast<const float *>(wr) + t);
}

/// Float matmul against a [N, K] weight (f32, or f16 converted as read):
/// rows of the weight against tiles of up to 4 tokens, 8 lanes x 2
/// accumulators per token, the row streamed once per tile with prefetch.
__attribute__((target("avx2,fma,f16c"))) void matmulWtAVX2(const float *a, const Tensor &w,
                                                          int64_t m, int64_t k, int64_t n,
                                                          float *o, int64_t jb, int64_t je) {
  int64_t es = w.dt == F16 ? 2 : 4, k16 = k / 16 * 16;
  for (int64_t j = jb; j < je; ++j) {
    const uint8_t *wr = w.data + j * k * es;
    for (int64_t i0 = 0; i0 < m; i0 += 4) {
      int64_t nt = std::min<int64_t>(4, m - i0);
      __m256 acc[4][2];
      for (int q = 0; q < 4; ++q)
        acc[q][0] = acc[q][1] = _mm256_setzero_ps();
      for (int64_t t = 0; t < k16; t += 16) {
        _mm_prefetch(reinterpret_cast<const char *>(wr + t * es + 4096), _MM_HINT_T0);
        __m256 w0 = load8w(w, wr, t), w1 = load8w(w, wr, t + 8);
        for (int64_t q = 0; q < nt; ++q) {
          const float *x = a + (i0 + q) * k + t;
          acc[q][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x), acc[q][0]);
          acc[q][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + 8), acc[q][1]);
        }
      }
      for (int64_t q = 0; q < nt; ++q) {
        float r = hsum(_mm256_add_ps(acc[q][0], acc[q][1]));
        const float *x = a + (i0 + q) * k;
        for (int64_t t = k16; t < k; ++t)
          r += x[t] * (w.dt == F16 ? halfToFloat(w.as<uint16_t>()[j * k + t])
                                   : w.as<float>()[j * k + t]);
        o[(i0 + q) * n + j] = r;
      }
    }
  }
}
#endif

} // namespace

extern "C" {

void phi_rt_free(void *rtp, int32_t slot) {
  Context &c = *static_cast<Context *>(rtp);
  c.slots[slot] = Tensor();
}

//===----------------------------------------------------------------------===//
// Shapes (metadata only: the data is shared, or copied by the generated
// kernels of runtime/Generated.cpp)
//===----------------------------------------------------------------------===//

static void reshapeTo(Context &c, int32_t outSlot, const Tensor &in,
                      std::vector<int64_t> shape) {
  Tensor out = in;
  out.capacity = 0;
  out.shape = std::move(shape);
  if (out.numel() != in.numel())
    return c.fail("reshape: " + shapeStr(in.shape) + " cannot become " +
                  shapeStr(out.shape));
  c.at(outSlot) = std::move(out);
}

/// slots: [out, x, shape] (ONNX Reshape: 0 copies, -1 infers)
void phi_rt_reshape(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  IN(1);
  std::vector<int64_t> want = valuesOf(c.at(s[2]));
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == 0)
      want[i] = i < in1.shape.size() ? in1.shape[i] : 1;
    if (want[i] == -1)
      infer = i;
    else
      known *= want[i];
  }
  if (infer >= 0)
    want[infer] = known ? in1.numel() / known : 0;
  reshapeTo(c, s[0], in1, want);
}

/// slots: [out, x]; ia: [axis]
void phi_rt_flatten(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  int64_t ax = normAxis(ia[0], in1.rank()), a = 1, b = 1;
  for (int64_t i = 0; i < in1.rank(); ++i)
    (i < ax ? a : b) *= in1.shape[i];
  reshapeTo(c, s[0], in1, {a, b});
}

/// slots: [out, x]; ia: [naxes, axes...]
void phi_rt_unsqueeze(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  int64_t r = in1.rank() + ia[0];
  std::vector<bool> ins(r, false);
  for (int64_t i = 0; i < ia[0]; ++i)
    ins[normAxis(ia[1 + i], r)] = true;
  std::vector<int64_t> shape;
  size_t j = 0;
  for (int64_t i = 0; i < r; ++i)
    shape.push_back(ins[i] ? 1 : in1.shape[j++]);
  reshapeTo(c, s[0], in1, shape);
}

/// slots: [out, x]; ia: [naxes, axes...] (none: every 1)
void phi_rt_squeeze(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  std::vector<bool> drop(in1.rank(), ia[0] == 0);
  for (int64_t i = 0; i < ia[0]; ++i)
    drop[normAxis(ia[1 + i], in1.rank())] = true;
  std::vector<int64_t> shape;
  for (int64_t i = 0; i < in1.rank(); ++i)
    if (!drop[i] || in1.shape[i] != 1)
      shape.push_back(in1.shape[i]);
  reshapeTo(c, s[0], in1, shape);
}

/// slots: [out, x]; ia: [start, end] (end INT64_MAX: rank)
void phi_rt_shape(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  const Tensor &in = c.at(s[1]); // the logical shape, even of a KV cache
  int64_t r = in.rank();
  int64_t b = std::clamp(normAxis(ia[0], r), (int64_t)0, r);
  int64_t e = ia[1] == INT64_MAX ? r : std::clamp(normAxis(ia[1], r), (int64_t)0, r);
  Tensor out = alloc(I64, {std::max<int64_t>(e - b, 0)});
  for (int64_t i = b; i < e; ++i)
    out.as<int64_t>()[i - b] = in.shape[i];
  c.at(s[0]) = std::move(out);
}

//===----------------------------------------------------------------------===//
// Model-level ops
//===----------------------------------------------------------------------===//

/// slots: [out, a, wT]: a [..., K] times a weight stored transposed [N, K].
void phi_rt_matmul_wt(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  IN(1);
  const Tensor &w = c.at(s[2]);
  int64_t k = in1.shape.back(), n = w.shape[0], m = in1.numel() / k;
  if (w.shape[1] != k)
    return c.fail("matmul: input " + shapeStr(in1.shape) + " and weight [K=" +
                  std::to_string(w.shape[1]) + "]");
  if (w.dt != F32 && w.dt != F16)
    return c.fail(std::string("matmul: weight of type ") + dtypeName(w.dt));
  std::vector<int64_t> shape = in1.shape;
  shape.back() = n;
  Tensor out = alloc(F32, shape);
  const float *a = in1.as<float>();
  float *o = out.as<float>();
  c.pool->parallelFor(n, [&](int64_t b, int64_t e) {
#ifdef PHI_KERNELS_X86
    if (hasAVX2F16C())
      return matmulWtAVX2(a, w, m, k, n, o, b, e);
#endif
    for (int64_t j = b; j < e; ++j)
      for (int64_t i = 0; i < m; ++i) {
        const float *ar = a + i * k;
        float acc = 0;
        if (w.dt == F16)
          for (int64_t t = 0; t < k; ++t)
            acc += ar[t] * halfToFloat(w.as<uint16_t>()[j * k + t]);
        else
          for (int64_t t = 0; t < k; ++t)
            acc += ar[t] * w.as<float>()[j * k + t];
        o[i * n + j] = acc;
      }
  }, 8);
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x, positions]; ia: [rotary_dim, original_max | -1, nshort,
/// nlong]; fa: [theta, mscale, short..., long...] (no factors: plain RoPE).
/// The rotation is a kernel the compiler generated (`fn`, expanded memref ABI: x, cos, sin, out as [rows, D] / [rows, rd / 2], then
/// H * S, S, the tables' batch stride, the first row). Here: the LongRoPE
/// choice (long factors when max(position) + 1 > original max) and the
/// cos/sin tables, one row per (batch, token), shared by all heads.
void phi_rt_rotary_rows(void *rtp, const int32_t *s, const int64_t *ia, const float *fa,
                        void *fn) {
  RT;
  IN(1);
  IN(2);
  int64_t rd = ia[0], half = rd / 2, nshort = ia[2], nlong = ia[3];
  if (in1.rank() != 4 || rd > in1.shape[3])
    return c.fail("rotary: input " + shapeStr(in1.shape) + " must be [B, H, S, D>=" +
                  std::to_string(rd) + "]");
  int64_t B = in1.shape[0], H = in1.shape[1], S = in1.shape[2], D = in1.shape[3];
  std::vector<int64_t> pos = valuesOf(in2);
  int64_t pb = in2.rank() == 2 ? in2.shape[0] : 1;
  if ((int64_t)pos.size() != pb * S)
    return c.fail("rotary: positions " + shapeStr(in2.shape) + " for " +
                  std::to_string(S) + " tokens");
  int64_t maxPos = pos.empty() ? 0 : *std::max_element(pos.begin(), pos.end());
  const float *factors = nullptr;
  if (nlong && ia[1] >= 0 && maxPos + 1 > ia[1])
    factors = fa + 2 + nshort; // long: the sequence is beyond original_max
  else if (nshort)
    factors = fa + 2;
  float theta = fa[0], mscale = fa[1];
  std::vector<float> inv(half);
  for (int64_t i = 0; i < half; ++i)
    inv[i] = 1.0f / ((factors ? factors[i] : 1.0f) *
                     std::pow(theta, (float)(2 * i) / (float)rd));
  std::vector<float> cs(pb * S * half), sn(pb * S * half);
  for (int64_t r = 0; r < pb * S; ++r)
    for (int64_t i = 0; i < half; ++i) {
      float ang = (float)pos[r] * inv[i];
      cs[r * half + i] = std::cos(ang) * mscale;
      sn[r * half + i] = std::sin(ang) * mscale;
    }
  Tensor out = alloc(F32, in1.shape);
  float *x = const_cast<float *>(in1.as<float>()), *o = out.as<float>();
  int64_t bstride = pb == 1 ? 0 : S;
  using RotaryKernel = void (*)(float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t,
                                float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t,
                                float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t,
                                float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t,
                                int64_t, int64_t, int64_t, int64_t);
  auto kernel = reinterpret_cast<RotaryKernel>(fn);
  int64_t tr = pb * S;
  c.pool->parallelFor(B * H * S, [&](int64_t b, int64_t e) {
    int64_t n = e - b;
    kernel(x + b * D, x + b * D, 0, n, D, D, 1, cs.data(), cs.data(), 0, tr, half, half, 1,
           sn.data(), sn.data(), 0, tr, half, half, 1, o + b * D, o + b * D, 0, n, D, D, 1,
           H * S, S, bstride, b);
  });
  c.at(s[0]) = std::move(out);
}

/// A row kernel the compiler generated (from linalg): two rank-2 f32
/// memrefs in MLIR's expanded descriptor form (allocated, aligned, offset,
/// sizes[2], strides[2] each).
using RowKernel = void (*)(float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t,
                           float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t);

/// slots: [out, in]; ia: [in row width, out row width]; `fn`: the generated
/// kernel, run on blocks of rows across the thread pool.
void phi_rt_rows(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  IN(1);
  // Negative widths: compiled for any; the input's, halved (gated_silu).
  int64_t ic = ia[0] < 0 && !in1.shape.empty() ? in1.shape.back() : ia[0];
  int64_t oc = ia[1] < 0 ? ic / 2 : ia[1];
  if (in1.dt != F32 || in1.shape.empty() || in1.shape.back() != ic || (ia[1] < 0 && ic % 2))
    return c.fail("rows: input " + shapeStr(in1.shape) + " is not f32 rows of " +
                  std::to_string(ic));
  std::vector<int64_t> shape = in1.shape;
  shape.back() = oc;
  Tensor out = alloc(F32, shape);
  int64_t rows = in1.numel() / ic;
  auto kernel = reinterpret_cast<RowKernel>(fn);
  float *x = const_cast<float *>(in1.as<float>()), *o = out.as<float>();
  c.pool->parallelFor(rows, [&](int64_t b, int64_t e) {
    kernel(x + b * ic, x + b * ic, 0, e - b, ic, ic, 1, o + b * oc, o + b * oc, 0, e - b, oc, oc, 1);
  });
  c.at(s[0]) = std::move(out);
}

/// Generated rms_norm kernels (expanded memref ABI): rows [rows, h] are
/// (ptr, ptr, offset, rows, h, h, 1), the weight [h] is (ptr, ptr, 0, h, 1).
#define PHI_ROWS2 float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t
#define PHI_VEC1 float *, float *, int64_t, int64_t, int64_t
using RMSKernel = void (*)(PHI_ROWS2, PHI_VEC1, PHI_ROWS2);
using RMSSkipKernel = void (*)(PHI_ROWS2, PHI_ROWS2, PHI_VEC1, PHI_ROWS2, PHI_ROWS2);
#undef PHI_ROWS2
#undef PHI_VEC1

/// slots: [out, residual | -1, x, weight, skip | -1]; ia: [h]; `fn`: the
/// generated kernel (with a skip operand exactly when slot 4 is one).
void phi_rt_rms_rows(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  IN(2);
  int64_t h = ia[0] < 0 && !in2.shape.empty() ? in2.shape.back() : ia[0]; // -1: any width
  const Tensor &w = c.at(s[3]);
  if (in2.dt != F32 || in2.shape.empty() || in2.shape.back() != h || w.dt != F32 ||
      w.numel() != h)
    return c.fail("rms_norm: input " + shapeStr(in2.shape) + " and weight " +
                  shapeStr(w.shape) + " are not f32 rows of " + std::to_string(h));
  int64_t rows = in2.numel() / h;
  Tensor out = alloc(F32, in2.shape), res;
  float *x = const_cast<float *>(in2.as<float>()), *wp = const_cast<float *>(w.as<float>());
  float *o = out.as<float>();
  if (s[4] >= 0) {
    const Tensor &sk = dense(c, s[4]);
    if (sk.dt != F32 || sk.shape != in2.shape)
      return c.fail("rms_norm: skip " + shapeStr(sk.shape) + " differs from input " +
                    shapeStr(in2.shape));
    res = alloc(F32, in2.shape);
    float *k = const_cast<float *>(sk.as<float>()), *r = res.as<float>();
    auto kernel = reinterpret_cast<RMSSkipKernel>(fn);
    c.pool->parallelFor(rows, [&](int64_t b, int64_t e) {
      int64_t n = e - b, at = b * h;
      kernel(x + at, x + at, 0, n, h, h, 1, k + at, k + at, 0, n, h, h, 1, wp, wp, 0, h, 1,
             o + at, o + at, 0, n, h, h, 1, r + at, r + at, 0, n, h, h, 1);
    });
  } else {
    auto kernel = reinterpret_cast<RMSKernel>(fn);
    c.pool->parallelFor(rows, [&](int64_t b, int64_t e) {
      int64_t n = e - b, at = b * h;
      kernel(x + at, x + at, 0, n, h, h, 1, wp, wp, 0, h, 1, o + at, o + at, 0, n, h, h, 1);
    });
    res = in2; // the residual of a norm without skip is its input
  }
  c.at(s[0]) = std::move(out);
  if (s[1] >= 0)
    c.at(s[1]) = std::move(res);
}

} // extern "C"
