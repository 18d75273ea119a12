//===- Kernels.cpp - the ops generated code calls ---------------------------===//
//
// One `phi_rt_<op>(rt, slots, int_attrs, float_attrs)` per phi op. `slots`
// lists result slots first, then operand slots (-1 for an absent optional
// operand); the attribute layout of each op is written next to it and must
// match lib/Target/CPU/EmitCPU.cpp. Float compute is f32 throughout.
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

std::string shapeStr(const std::vector<int64_t> &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? "x" : "") + std::to_string(s[i]);
  return r + "]";
}

bool broadcastShape(const std::vector<int64_t> &a, const std::vector<int64_t> &b,
                    std::vector<int64_t> &out) {
  size_t r = std::max(a.size(), b.size());
  out.assign(r, 1);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

/// Element offsets of `in` (broadcast to `out`) for each output element.
std::vector<int64_t> broadcastOffsets(const std::vector<int64_t> &in,
                                      const std::vector<int64_t> &out) {
  size_t r = out.size();
  std::vector<int64_t> stride(r, 0);
  int64_t s = 1;
  for (size_t i = 0; i < in.size(); ++i) {
    size_t o = r - 1 - i;
    int64_t d = in[in.size() - 1 - i];
    stride[o] = d == 1 ? 0 : s;
    s *= d;
  }
  int64_t n = 1;
  for (int64_t d : out)
    n *= d;
  std::vector<int64_t> offs(n);
  std::vector<int64_t> idx(r, 0);
  int64_t cur = 0;
  for (int64_t e = 0; e < n; ++e) {
    offs[e] = cur;
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < out[i]) {
        cur += stride[i];
        break;
      }
      cur -= stride[i] * (out[i] - 1);
      idx[i] = 0;
    }
  }
  return offs;
}

double load(const Tensor &t, int64_t i) {
  switch (t.dt) {
  case F32: return t.as<float>()[i];
  case I64: return (double)t.as<int64_t>()[i];
  case I32: return t.as<int32_t>()[i];
  case BOOL: case U8: return t.as<uint8_t>()[i];
  case I8: return t.as<int8_t>()[i];
  default: return 0;
  }
}
void store(Tensor &t, int64_t i, double v) {
  switch (t.dt) {
  case F32: t.as<float>()[i] = (float)v; break;
  case I64: t.as<int64_t>()[i] = (int64_t)v; break;
  case I32: t.as<int32_t>()[i] = (int32_t)v; break;
  case BOOL: t.as<uint8_t>()[i] = v != 0; break;
  case U8: t.as<uint8_t>()[i] = (uint8_t)v; break;
  case I8: t.as<int8_t>()[i] = (int8_t)v; break;
  default: break;
  }
}

/// Integer values exactly (INT64_MAX ends of slices do not survive double).
std::vector<int64_t> valuesOf(const Tensor &t) {
  std::vector<int64_t> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i)
    v[i] = t.dt == I64 ? t.as<int64_t>()[i]
           : t.dt == I32 ? t.as<int32_t>()[i]
                         : (int64_t)load(t, i);
  return v;
}

int64_t normAxis(int64_t a, int64_t rank) { return a < 0 ? a + rank : a; }

#define RT Context &c = *static_cast<Context *>(rtp); if (c.failed()) return
#define IN(i) const Tensor &in##i = contiguousRef(c, s[i])

/// Operands read by generic kernels must be contiguous.
const Tensor &contiguousRef(Context &c, int32_t slot) {
  Tensor &t = c.at(slot);
  if (t.capacity && t.capacity != t.shape[2])
    t = contiguous(t);
  return t;
}

/// Float view of a weight or activation (f16 scales and the like).
std::vector<float> floats(const Tensor &t) {
  std::vector<float> v(t.numel());
  if (t.dt == F16)
    for (int64_t i = 0; i < t.numel(); ++i)
      v[i] = halfToFloat(t.as<uint16_t>()[i]);
  else
    for (int64_t i = 0; i < t.numel(); ++i)
      v[i] = (float)load(t, i);
  return v;
}

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

/// sum a[t] * b[t] in 8 independent lanes: the compiler vectorizes it (a
/// single running sum is a dependency chain it may not reorder), then the
/// lanes are added. Attention's q . k over the whole KV cache runs on this.
float dotF32(const float *a, const float *b, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t t = 0;
  for (; t + 8 <= n; t += 8)
    for (int l = 0; l < 8; ++l)
      lane[l] += a[t + l] * b[t + l];
  float r = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  for (; t < n; ++t)
    r += a[t] * b[t];
  return r;
}

} // namespace

extern "C" {

void phi_rt_free(void *rtp, int32_t slot) {
  Context &c = *static_cast<Context *>(rtp);
  c.slots[slot] = Tensor();
}

//===----------------------------------------------------------------------===//
// Elementwise. ia[0] = opcode.
//===----------------------------------------------------------------------===//

enum BinOp { Add, Sub, Mul, Div, Pow, Max, Min, Equal, Less, Greater, And, Or };
enum UnOp { Neg, Abs, Sqrt, Reciprocal, Exp, Log, Cos, Sin, Tanh, Sigmoid, Not, Silu };

/// slots: [out, a, b]; ia: [op]
void phi_rt_binary(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  IN(2);
  std::vector<int64_t> shape;
  if (!broadcastShape(in1.shape, in2.shape, shape))
    return c.fail("elementwise op: shapes " + shapeStr(in1.shape) + " and " +
                  shapeStr(in2.shape) + " do not broadcast");
  int op = (int)ia[0];
  bool cmp = op == Equal || op == Less || op == Greater || op == And || op == Or;
  Tensor out = alloc(cmp ? BOOL : in1.dt, shape);
  int64_t n = out.numel();
  if (in1.dt == F32 && in2.dt == F32 && !cmp && in1.shape == in2.shape) {
    const float *a = in1.as<float>(), *b = in2.as<float>();
    float *o = out.as<float>();
    switch (op) {
    case Add: for (int64_t i = 0; i < n; ++i) o[i] = a[i] + b[i]; break;
    case Sub: for (int64_t i = 0; i < n; ++i) o[i] = a[i] - b[i]; break;
    case Mul: for (int64_t i = 0; i < n; ++i) o[i] = a[i] * b[i]; break;
    case Div: for (int64_t i = 0; i < n; ++i) o[i] = a[i] / b[i]; break;
    default: goto general;
    }
    c.at(s[0]) = std::move(out);
    return;
  }
general:
  std::vector<int64_t> oa = broadcastOffsets(in1.shape, shape),
                       ob = broadcastOffsets(in2.shape, shape);
  bool isFloat = in1.dt == F32;
  for (int64_t i = 0; i < n; ++i) {
    double x = load(in1, oa[i]), y = load(in2, ob[i]), r = 0;
    switch (op) {
    case Add: r = x + y; break;
    case Sub: r = x - y; break;
    case Mul: r = x * y; break;
    case Div:
      if (isFloat) {
        r = (float)x / (float)y;
      } else {
        if (y == 0)
          return c.fail("integer division by zero");
        r = (double)((int64_t)x / (int64_t)y);
      }
      break;
    case Pow: r = isFloat ? std::pow((float)x, (float)y) : std::pow(x, y); break;
    case Max: r = std::max(x, y); break;
    case Min: r = std::min(x, y); break;
    case Equal: r = x == y; break;
    case Less: r = x < y; break;
    case Greater: r = x > y; break;
    case And: r = x != 0 && y != 0; break;
    case Or: r = x != 0 || y != 0; break;
    }
    if (isFloat && !cmp)
      out.as<float>()[i] = (float)r;
    else
      store(out, i, r);
  }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x]; ia: [op]
void phi_rt_unary(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  Tensor out = alloc(in1.dt, in1.shape);
  int64_t n = out.numel();
  int op = (int)ia[0];
  if (in1.dt == F32) {
    const float *x = in1.as<float>();
    float *o = out.as<float>();
    for (int64_t i = 0; i < n; ++i) {
      float v = x[i];
      switch (op) {
      case Neg: o[i] = -v; break;
      case Abs: o[i] = std::fabs(v); break;
      case Sqrt: o[i] = std::sqrt(v); break;
      case Reciprocal: o[i] = 1.0f / v; break;
      case Exp: o[i] = std::exp(v); break;
      case Log: o[i] = std::log(v); break;
      case Cos: o[i] = std::cos(v); break;
      case Sin: o[i] = std::sin(v); break;
      case Tanh: o[i] = std::tanh(v); break;
      case Sigmoid: o[i] = 1.0f / (1.0f + std::exp(-v)); break;
      case Silu: o[i] = v / (1.0f + std::exp(-v)); break;
      default: return c.fail("unary op on f32 not supported");
      }
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      double v = load(in1, i);
      switch (op) {
      case Neg: v = -v; break;
      case Abs: v = std::fabs(v); break;
      case Not: v = v == 0; break;
      default: return c.fail("unary op on integers not supported");
      }
      store(out, i, v);
    }
  }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, cond, a, b]
void phi_rt_where(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  IN(1);
  IN(2);
  IN(3);
  std::vector<int64_t> t, shape;
  if (!broadcastShape(in1.shape, in2.shape, t) || !broadcastShape(t, in3.shape, shape))
    return c.fail("where: shapes do not broadcast");
  Tensor out = alloc(in2.dt, shape);
  auto oc = broadcastOffsets(in1.shape, shape), oa = broadcastOffsets(in2.shape, shape),
       ob = broadcastOffsets(in3.shape, shape);
  int64_t w = dtypeSize(out.dt);
  for (int64_t i = 0; i < out.numel(); ++i) {
    bool cond = load(in1, oc[i]) != 0;
    memcpy(out.data + i * w, cond ? in2.data + oa[i] * w : in3.data + ob[i] * w, w);
  }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x]; ia: [to dtype]
void phi_rt_cast(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  Tensor out = alloc((DType)ia[0], in1.shape);
  if (in1.dt == F16) {
    std::vector<float> f = floats(in1);
    for (int64_t i = 0; i < out.numel(); ++i)
      store(out, i, f[i]);
  } else {
    for (int64_t i = 0; i < out.numel(); ++i)
      store(out, i, load(in1, i));
  }
  c.at(s[0]) = std::move(out);
}

/// slots: [x]: f32 x rounded to fp16 precision (fp16 activations of
/// --quant=fp16 models live in f32 slots, rounded where the IR has f16).
void phi_rt_round_f16(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  IN(0);
  if (in0.dt != F32)
    return c.fail(std::string("round_f16: expected f32, got ") + dtypeName(in0.dt));
  Tensor out = alloc(F32, in0.shape);
  const float *x = in0.as<float>();
  float *o = out.as<float>();
  for (int64_t i = 0; i < out.numel(); ++i)
    o[i] = halfToFloat(floatToHalf(x[i]));
  c.at(s[0]) = std::move(out);
}

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

enum RedOp { RMean, RSum, RMax };

/// slots: [out, x]; ia: [op, keepdims, naxes, axes...]
void phi_rt_reduce(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  int64_t r = in1.rank();
  std::vector<bool> red(r, ia[2] == 0);
  for (int64_t i = 0; i < ia[2]; ++i)
    red[normAxis(ia[3 + i], r)] = true;
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < r; ++i)
    kept.push_back(red[i] ? 1 : in1.shape[i]);
  Tensor acc = alloc(F32, kept);
  std::vector<double> sum(acc.numel(), ia[0] == RMax ? -INFINITY : 0.0);
  std::vector<int64_t> offs = broadcastOffsets(kept, in1.shape);
  int64_t count = 1;
  for (int64_t i = 0; i < r; ++i)
    if (red[i])
      count *= in1.shape[i];
  for (int64_t i = 0; i < in1.numel(); ++i) {
    double v = load(in1, i);
    sum[offs[i]] = ia[0] == RMax ? std::max(sum[offs[i]], v) : sum[offs[i]] + v;
  }
  std::vector<int64_t> shape;
  for (int64_t i = 0; i < r; ++i)
    if (!red[i] || ia[1])
      shape.push_back(kept[i]);
  Tensor out = alloc(in1.dt, shape);
  for (int64_t i = 0; i < out.numel(); ++i)
    store(out, i, ia[0] == RMean ? sum[i] / count : sum[i]);
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x]; ia: [axis]
void phi_rt_softmax(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  int64_t r = in1.rank(), ax = normAxis(ia[0], r);
  int64_t inner = 1, outer = 1, n = in1.shape[ax];
  for (int64_t i = ax + 1; i < r; ++i)
    inner *= in1.shape[i];
  for (int64_t i = 0; i < ax; ++i)
    outer *= in1.shape[i];
  Tensor out = alloc(F32, in1.shape);
  const float *x = in1.as<float>();
  float *o = out.as<float>();
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t b = 0; b < inner; ++b) {
      const float *xi = x + a * n * inner + b;
      float *oi = o + a * n * inner + b;
      float m = -INFINITY;
      for (int64_t j = 0; j < n; ++j)
        m = std::max(m, xi[j * inner]);
      float sum = 0;
      for (int64_t j = 0; j < n; ++j)
        sum += (oi[j * inner] = std::exp(xi[j * inner] - m));
      for (int64_t j = 0; j < n; ++j)
        oi[j * inner] /= sum;
    }
  c.at(s[0]) = std::move(out);
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
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

/// slots: [out, x]; ia: [rank, perm...]
void phi_rt_transpose(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  int64_t r = in1.rank();
  std::vector<int64_t> perm(ia + 1, ia + 1 + ia[0]), shape(r), stride(r);
  if ((int64_t)perm.size() != r)
    return c.fail("transpose: perm does not match rank");
  int64_t st = 1;
  std::vector<int64_t> inStride(r);
  for (int64_t i = r; i-- > 0;) {
    inStride[i] = st;
    st *= in1.shape[i];
  }
  for (int64_t i = 0; i < r; ++i) {
    shape[i] = in1.shape[perm[i]];
    stride[i] = inStride[perm[i]];
  }
  Tensor out = alloc(in1.dt, shape);
  int64_t w = dtypeSize(in1.dt), n = out.numel();
  std::vector<int64_t> idx(r, 0);
  int64_t cur = 0;
  for (int64_t e = 0; e < n; ++e) {
    memcpy(out.data + e * w, in1.data + cur * w, w);
    for (int64_t i = r; i-- > 0;) {
      if (++idx[i] < shape[i]) {
        cur += stride[i];
        break;
      }
      cur -= stride[i] * (shape[i] - 1);
      idx[i] = 0;
    }
  }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, in...]; ia: [axis, n]
void phi_rt_concat(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  int64_t n = ia[1];
  std::vector<const Tensor *> ins;
  for (int64_t i = 0; i < n; ++i)
    ins.push_back(&contiguousRef(c, s[1 + i]));
  int64_t r = ins[0]->rank(), ax = normAxis(ia[0], r);
  std::vector<int64_t> shape = ins[0]->shape;
  shape[ax] = 0;
  for (auto *t : ins) {
    if (t->rank() != r || t->dt != ins[0]->dt)
      return c.fail("concat: operands differ in rank or type");
    shape[ax] += t->shape[ax];
  }
  Tensor out = alloc(ins[0]->dt, shape);
  int64_t outer = 1, w = dtypeSize(out.dt);
  for (int64_t i = 0; i < ax; ++i)
    outer *= shape[i];
  int64_t inner = w;
  for (int64_t i = ax + 1; i < r; ++i)
    inner *= shape[i];
  uint8_t *o = out.data;
  for (int64_t a = 0; a < outer; ++a)
    for (auto *t : ins) {
      int64_t bytes = t->shape[ax] * inner;
      memcpy(o, t->data + a * bytes, bytes);
      o += bytes;
    }
  c.at(s[0]) = std::move(out);
}

/// slots: [outs..., x]; ia: [axis, n, sizes...]
void phi_rt_split(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  int64_t n = ia[1];
  const Tensor &in = contiguousRef(c, s[n]);
  int64_t r = in.rank(), ax = normAxis(ia[0], r), total = 0;
  for (int64_t i = 0; i < n; ++i)
    total += ia[2 + i];
  if (total != in.shape[ax])
    return c.fail("split: sizes do not add up to " + std::to_string(in.shape[ax]));
  int64_t outer = 1, inner = dtypeSize(in.dt);
  for (int64_t i = 0; i < ax; ++i)
    outer *= in.shape[i];
  for (int64_t i = ax + 1; i < r; ++i)
    inner *= in.shape[i];
  int64_t off = 0;
  std::vector<Tensor> outs;
  for (int64_t k = 0; k < n; ++k) {
    std::vector<int64_t> shape = in.shape;
    shape[ax] = ia[2 + k];
    Tensor o = alloc(in.dt, shape);
    int64_t bytes = ia[2 + k] * inner;
    for (int64_t a = 0; a < outer; ++a)
      memcpy(o.data + a * bytes, in.data + a * in.shape[ax] * inner + off, bytes);
    off += bytes;
    outs.push_back(std::move(o));
  }
  for (int64_t k = 0; k < n; ++k)
    c.at(s[k]) = std::move(outs[k]);
}

/// slots: [out, x, starts, ends, axes | -1, steps | -1]
void phi_rt_slice(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  IN(1);
  std::vector<int64_t> st = valuesOf(c.at(s[2])), en = valuesOf(c.at(s[3]));
  std::vector<int64_t> axes, steps;
  if (s[4] >= 0)
    axes = valuesOf(c.at(s[4]));
  else
    for (size_t i = 0; i < st.size(); ++i)
      axes.push_back(i);
  if (s[5] >= 0)
    steps = valuesOf(c.at(s[5]));
  else
    steps.assign(st.size(), 1);
  int64_t r = in1.rank();
  std::vector<int64_t> begin(r, 0), step(r, 1), shape = in1.shape;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = normAxis(axes[i], r), d = in1.shape[a], k = steps[i];
    if (k == 0)
      return c.fail("slice: step 0");
    int64_t b = st[i] < 0 ? st[i] + d : st[i], e = en[i] < 0 ? en[i] + d : en[i];
    if (k > 0) {
      b = std::clamp(b, (int64_t)0, d);
      e = std::clamp(e, (int64_t)0, d);
      shape[a] = e > b ? (e - b + k - 1) / k : 0;
    } else {
      b = std::clamp(b, (int64_t)-1, d - 1);
      e = std::clamp(e, (int64_t)-1, d - 1);
      shape[a] = b > e ? (b - e - k - 1) / -k : 0;
    }
    begin[a] = b;
    step[a] = k;
  }
  Tensor out = alloc(in1.dt, shape);
  int64_t w = dtypeSize(in1.dt), n = out.numel();
  std::vector<int64_t> inStride(r);
  int64_t acc = 1;
  for (int64_t i = r; i-- > 0;) {
    inStride[i] = acc;
    acc *= in1.shape[i];
  }
  std::vector<int64_t> idx(r, 0);
  for (int64_t e = 0; e < n; ++e) {
    int64_t off = 0;
    for (int64_t i = 0; i < r; ++i)
      off += (begin[i] + idx[i] * step[i]) * inStride[i];
    memcpy(out.data + e * w, in1.data + off * w, w);
    for (int64_t i = r; i-- > 0;) {
      if (++idx[i] < shape[i])
        break;
      idx[i] = 0;
    }
  }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, data, indices]; ia: [axis]
void phi_rt_gather(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  IN(2);
  int64_t r = in1.rank(), ax = normAxis(ia[0], r), d = in1.shape[ax];
  std::vector<int64_t> idx = valuesOf(in2), shape;
  for (int64_t i = 0; i < ax; ++i)
    shape.push_back(in1.shape[i]);
  for (int64_t x : in2.shape)
    shape.push_back(x);
  for (int64_t i = ax + 1; i < r; ++i)
    shape.push_back(in1.shape[i]);
  Tensor out = alloc(in1.dt, shape);
  int64_t outer = 1, inner = dtypeSize(in1.dt);
  for (int64_t i = 0; i < ax; ++i)
    outer *= in1.shape[i];
  for (int64_t i = ax + 1; i < r; ++i)
    inner *= in1.shape[i];
  uint8_t *o = out.data;
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t j : idx) {
      if (j < -d || j >= d)
        return c.fail("gather: index " + std::to_string(j) + " out of range [0, " +
                      std::to_string(d) + ")");
      memcpy(o, in1.data + (a * d + (j < 0 ? j + d : j)) * inner, inner);
      o += inner;
    }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, data, indices]; ia: [batch_dims]
void phi_rt_gather_nd(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  IN(2);
  int64_t bd = ia[0], q = in2.rank(), last = in2.shape[q - 1], r = in1.rank();
  std::vector<int64_t> shape(in2.shape.begin(), in2.shape.end() - 1);
  for (int64_t i = bd + last; i < r; ++i)
    shape.push_back(in1.shape[i]);
  Tensor out = alloc(in1.dt, shape);
  int64_t inner = dtypeSize(in1.dt);
  for (int64_t i = bd + last; i < r; ++i)
    inner *= in1.shape[i];
  int64_t batch = 1;
  for (int64_t i = 0; i < bd; ++i)
    batch *= in1.shape[i];
  int64_t perBatch = 1;
  for (int64_t i = bd; i < q - 1; ++i)
    perBatch *= in2.shape[i];
  int64_t batchStride = inner;
  for (int64_t i = bd; i < bd + last; ++i)
    batchStride *= in1.shape[i];
  std::vector<int64_t> idx = valuesOf(in2);
  uint8_t *o = out.data;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t p = 0; p < perBatch; ++p) {
      int64_t off = 0;
      for (int64_t j = 0; j < last; ++j) {
        int64_t d = in1.shape[bd + j], x = idx[(b * perBatch + p) * last + j];
        if (x < -d || x >= d)
          return c.fail("gather_nd: index out of range");
        off = off * d + (x < 0 ? x + d : x);
      }
      memcpy(o, in1.data + b * batchStride + off * inner, inner);
      o += inner;
    }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x, shape]
void phi_rt_expand(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  IN(1);
  std::vector<int64_t> want = valuesOf(c.at(s[2])), shape;
  if (!broadcastShape(in1.shape, want, shape))
    return c.fail("expand: " + shapeStr(in1.shape) + " to " + shapeStr(want));
  Tensor out = alloc(in1.dt, shape);
  auto offs = broadcastOffsets(in1.shape, shape);
  int64_t w = dtypeSize(in1.dt);
  for (int64_t i = 0; i < out.numel(); ++i)
    memcpy(out.data + i * w, in1.data + offs[i] * w, w);
  c.at(s[0]) = std::move(out);
}

/// slots: [out, shape]; ia: [dtype, value bits (f32 bits or i64)]
void phi_rt_constant_of_shape(void *rtp, const int32_t *s, const int64_t *ia,
                              const float *fa) {
  RT;
  Tensor out = alloc((DType)ia[0], valuesOf(c.at(s[1])));
  for (int64_t i = 0; i < out.numel(); ++i)
    store(out, i, out.dt == F32 ? (double)fa[0] : (double)ia[1]);
  c.at(s[0]) = std::move(out);
}

/// slots: [out, start, limit, delta]
void phi_rt_range(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  const Tensor &a = c.at(s[1]), &b = c.at(s[2]), &d = c.at(s[3]);
  double start = load(a, 0), limit = load(b, 0), delta = load(d, 0);
  if (delta == 0)
    return c.fail("range: delta 0");
  int64_t n = std::max<int64_t>((int64_t)std::ceil((limit - start) / delta), 0);
  Tensor out = alloc(a.dt, {n});
  for (int64_t i = 0; i < n; ++i)
    store(out, i, start + i * delta);
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x]; ia: [upper, diagonal]
void phi_rt_trilu(void *rtp, const int32_t *s, const int64_t *ia, const float *) {
  RT;
  IN(1);
  Tensor out = alloc(in1.dt, in1.shape);
  int64_t r = in1.rank(), rows = in1.shape[r - 2], cols = in1.shape[r - 1];
  int64_t w = dtypeSize(in1.dt);
  memset(out.data, 0, out.numel() * w);
  for (int64_t m = 0; m < in1.numel() / (rows * cols); ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        bool keep = ia[0] ? j - i >= ia[1] : j - i <= ia[1];
        if (keep) {
          int64_t e = (m * rows + i) * cols + j;
          memcpy(out.data + e * w, in1.data + e * w, w);
        }
      }
  c.at(s[0]) = std::move(out);
}

//===----------------------------------------------------------------------===//
// Model-level ops
//===----------------------------------------------------------------------===//

/// slots: [out, table, ids]
void phi_rt_embedding(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  IN(1);
  IN(2);
  int64_t v = in1.shape[0], h = in1.shape[1];
  std::vector<int64_t> ids = valuesOf(in2), shape = in2.shape;
  shape.push_back(h);
  Tensor out = alloc(F32, shape);
  std::vector<float> row;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= v)
      return c.fail("token id " + std::to_string(ids[i]) + " is out of range [0, " +
                    std::to_string(v) + ")");
    float *o = out.as<float>() + i * h;
    if (in1.dt == F32)
      memcpy(o, in1.as<float>() + ids[i] * h, h * 4);
    else
      for (int64_t j = 0; j < h; ++j)
        o[j] = halfToFloat(in1.as<uint16_t>()[ids[i] * h + j]);
  }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, residual | -1, x, weight, skip | -1]; fa: [epsilon]
void phi_rt_rms_norm(void *rtp, const int32_t *s, const int64_t *, const float *fa) {
  RT;
  IN(2);
  std::vector<float> w = floats(c.at(s[3]));
  int64_t h = in2.shape.back(), rows = in2.numel() / h;
  if ((int64_t)w.size() != h)
    return c.fail("rms_norm: weight has " + std::to_string(w.size()) +
                  " elements, the input's last dim is " + std::to_string(h));
  Tensor sum;
  const float *x = in2.as<float>();
  if (s[4] >= 0) {
    const Tensor &sk = contiguousRef(c, s[4]);
    if (sk.shape != in2.shape)
      return c.fail("rms_norm: skip " + shapeStr(sk.shape) + " differs from input " +
                    shapeStr(in2.shape));
    sum = alloc(F32, in2.shape);
    for (int64_t i = 0; i < in2.numel(); ++i)
      sum.as<float>()[i] = x[i] + sk.as<float>()[i];
    x = sum.as<float>();
  }
  Tensor out = alloc(F32, in2.shape);
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * h;
    float ss = 0;
    for (int64_t j = 0; j < h; ++j)
      ss += xr[j] * xr[j];
    float inv = 1.0f / std::sqrt(ss / h + fa[0]);
    for (int64_t j = 0; j < h; ++j)
      out.as<float>()[r * h + j] = xr[j] * inv * w[j];
  }
  c.at(s[0]) = std::move(out);
  if (s[1] >= 0) {
    if (!sum.data)
      sum = in2;
    c.at(s[1]) = std::move(sum);
  }
}

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

/// slots: [out, a, b]: numpy matmul of activations ([..., M, K] x [..., K, N]).
void phi_rt_matmul(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  IN(1);
  IN(2);
  std::vector<float> af = floats(in1), bf = floats(in2);
  std::vector<int64_t> as = in1.shape, bs = in2.shape;
  if (as.size() == 1)
    as.insert(as.begin(), 1);
  if (bs.size() == 1)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return c.fail("matmul: " + shapeStr(in1.shape) + " x " + shapeStr(in2.shape));
  std::vector<int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2), batch;
  if (!broadcastShape(ab, bb, batch))
    return c.fail("matmul: batch dims do not broadcast");
  std::vector<int64_t> shape = batch;
  if (in1.rank() > 1)
    shape.push_back(m);
  if (in2.rank() > 1)
    shape.push_back(n);
  Tensor out = alloc(F32, shape);
  auto oa = broadcastOffsets(ab, batch), ob = broadcastOffsets(bb, batch);
  for (size_t p = 0; p < oa.size(); ++p) {
    const float *A = af.data() + oa[p] * m * k, *B = bf.data() + ob[p] * k * n;
    float *O = out.as<float>() + p * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float acc = 0;
        for (int64_t t = 0; t < k; ++t)
          acc += A[i * k + t] * B[t * n + j];
        O[i * n + j] = acc;
      }
  }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x, positions]; ia: [rotary_dim, original_max | -1, nshort,
/// nlong]; fa: [theta, mscale, short..., long...] (no factors: plain RoPE)
void phi_rt_rotary_rows(void *rtp, const int32_t *s, const int64_t *ia, const float *fa,
                        void *fn);

void phi_rt_rotary(void *rtp, const int32_t *s, const int64_t *ia, const float *fa) {
  phi_rt_rotary_rows(rtp, s, ia, fa, nullptr);
}

/// The same with the rotation done by a kernel the compiler generated (`fn`,
/// expanded memref ABI: x, cos, sin, out as [rows, D] / [rows, rd / 2], then
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
  if (fn) {
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
    return;
  }
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < S; ++t) {
      const float *cr = cs.data() + (b * bstride + t) * half, *sr = sn.data() + (b * bstride + t) * half;
      for (int64_t h = 0; h < H; ++h) {
        const float *xr = x + ((b * H + h) * S + t) * D;
        float *orow = o + ((b * H + h) * S + t) * D;
        for (int64_t i = 0; i < half; ++i) {
          orow[i] = xr[i] * cr[i] - xr[i + half] * sr[i];
          orow[i + half] = xr[i + half] * cr[i] + xr[i] * sr[i];
        }
        for (int64_t i = rd; i < D; ++i)
          orow[i] = xr[i];
      }
    }
  c.at(s[0]) = std::move(out);
}

/// slots: [out, present_k, present_v, q, k, v, past_k | -1, past_v | -1,
/// mask | -1]; ia: [num_heads, num_kv_heads, causal]; fa: [scale]
/// A past cache with room (capacity) is appended in place and becomes the
/// present one.
void phi_rt_attention(void *rtp, const int32_t *s, const int64_t *ia, const float *fa) {
  RT;
  IN(3);
  IN(4);
  IN(5);
  int64_t H = ia[0], Hkv = ia[1], B = in3.shape[0], S = in3.shape[2], D = in3.shape[3];
  if (in4.shape != std::vector<int64_t>{B, Hkv, S, D} || in5.shape != in4.shape)
    return c.fail("attention: k " + shapeStr(in4.shape) + " and v " + shapeStr(in5.shape) +
                  " do not match q " + shapeStr(in3.shape) + " with " +
                  std::to_string(Hkv) + " kv heads");
  int64_t P = 0;
  auto present = [&](int32_t pastSlot, const Tensor &nw) -> Tensor {
    if (pastSlot < 0)
      return nw;
    Tensor &past = c.at(pastSlot);
    int64_t cap = past.capacity ? past.capacity : past.shape[2];
    int64_t len = past.shape[2];
    Tensor pr;
    if (cap >= len + S && past.storage && past.storage.use_count() <= 2) {
      pr = past; // shares the buffer: the cache slot and this one
    } else {
      int64_t newCap = std::max<int64_t>(len + S, std::min<int64_t>(
                                                      std::max<int64_t>(2 * (len + S), 64),
                                                      std::max<int64_t>(c.contextLength, len + S)));
      pr = alloc(F32, {B, Hkv, newCap, D});
      for (int64_t bh = 0; bh < B * Hkv; ++bh)
        memcpy(pr.as<float>() + bh * newCap * D, past.as<float>() + bh * cap * D,
               len * D * 4);
      pr.capacity = newCap;
      cap = newCap;
    }
    for (int64_t bh = 0; bh < B * Hkv; ++bh)
      memcpy(pr.as<float>() + (bh * cap + len) * D, nw.as<float>() + bh * S * D,
             S * D * 4);
    pr.shape = {B, Hkv, len + S, D};
    pr.capacity = cap;
    return pr;
  };
  if (s[6] >= 0)
    P = c.at(s[6]).shape[2];
  Tensor pk = present(s[6], in4), pv = present(s[7], in5);
  int64_t T = P + S, capK = pk.capacity ? pk.capacity : T, capV = pv.capacity ? pv.capacity : T;
  std::vector<int64_t> mask;
  if (s[8] >= 0) {
    mask = valuesOf(c.at(s[8]));
    if ((int64_t)mask.size() != B * T)
      return c.fail("attention: mask " + shapeStr(c.at(s[8]).shape) + " for " +
                    std::to_string(T) + " keys");
  }
  Tensor out = alloc(F32, {B, H, S, D});
  float scale = fa[0];
  int64_t group = H / Hkv;
  c.pool->parallelFor(B * H, [&](int64_t hb, int64_t he) {
    std::vector<float> sc(T);
    for (int64_t bh = hb; bh < he; ++bh) {
      int64_t b = bh / H, h = bh % H, kvh = h / group;
      const float *K = pk.as<float>() + (b * Hkv + kvh) * capK * D;
      const float *V = pv.as<float>() + (b * Hkv + kvh) * capV * D;
      for (int64_t i = 0; i < S; ++i) {
        const float *q = in3.as<float>() + ((b * H + h) * S + i) * D;
        float m = -INFINITY;
        for (int64_t j = 0; j < T; ++j) {
          bool ok = (!ia[2] || j <= P + i) && (mask.empty() || mask[b * T + j]);
          if (!ok) {
            sc[j] = -INFINITY;
            continue;
          }
          sc[j] = dotF32(q, K + j * D, D) * scale;
          m = std::max(m, sc[j]);
        }
        float sum = 0;
        for (int64_t j = 0; j < T; ++j)
          sum += (sc[j] = sc[j] == -INFINITY ? 0.0f : std::exp(sc[j] - m));
        float *o = out.as<float>() + ((b * H + h) * S + i) * D;
        std::fill(o, o + D, 0.0f);
        if (sum == 0)
          continue;
        for (int64_t j = 0; j < T; ++j) {
          float p = sc[j] / sum;
          if (p != 0)
            for (int64_t t = 0; t < D; ++t)
              o[t] += p * V[j * D + t];
        }
      }
    }
  });
  c.at(s[0]) = std::move(out);
  c.at(s[1]) = std::move(pk);
  c.at(s[2]) = std::move(pv);
}

/// slots: [out, x]: up * silu(gate) over the halves of the last axis.
void phi_rt_gated_silu(void *rtp, const int32_t *s, const int64_t *, const float *) {
  RT;
  IN(1);
  int64_t two = in1.shape.back(), half = two / 2, rows = in1.numel() / two;
  std::vector<int64_t> shape = in1.shape;
  shape.back() = half;
  Tensor out = alloc(F32, shape);
  for (int64_t r = 0; r < rows; ++r) {
    const float *g = in1.as<float>() + r * two, *u = g + half;
    float *o = out.as<float>() + r * half;
    for (int64_t j = 0; j < half; ++j)
      o[j] = u[j] * (g[j] / (1.0f + std::exp(-g[j])));
  }
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
  int64_t ic = ia[0], oc = ia[1];
  if (in1.dt != F32 || in1.shape.empty() || in1.shape.back() != ic)
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
  int64_t h = ia[0];
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
    const Tensor &sk = contiguousRef(c, s[4]);
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

/// slots: [out, x]; ia: [4, perm...]; `fn`: a generated rank-4 f32
/// transpose (linalg.transpose), two descriptors in MLIR's expanded form.
void phi_rt_transpose4(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  IN(1);
  if (in1.dt != F32 || in1.rank() != 4 || ia[0] != 4)
    return c.fail("transpose: expected an f32 rank-4 input, got " + shapeStr(in1.shape));
  const int64_t *perm = ia + 1;
  std::vector<int64_t> shape(4);
  for (int i = 0; i < 4; ++i)
    shape[i] = in1.shape[perm[i]];
  Tensor out = alloc(F32, shape);
  auto strides = [](const std::vector<int64_t> &sh) {
    std::vector<int64_t> st(4, 1);
    for (int i = 2; i >= 0; --i)
      st[i] = st[i + 1] * sh[i + 1];
    return st;
  };
  std::vector<int64_t> is = strides(in1.shape), os = strides(shape);
  using Kernel = void (*)(float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                          int64_t, int64_t, int64_t, float *, float *, int64_t, int64_t, int64_t,
                          int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);
  float *x = const_cast<float *>(in1.as<float>()), *o = out.as<float>();
  const std::vector<int64_t> &d = in1.shape;
  reinterpret_cast<Kernel>(fn)(x, x, 0, d[0], d[1], d[2], d[3], is[0], is[1], is[2], is[3], o, o,
                               0, shape[0], shape[1], shape[2], shape[3], os[0], os[1], os[2],
                               os[3]);
  c.at(s[0]) = std::move(out);
}

} // extern "C"
