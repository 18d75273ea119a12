//===- Generated.cpp - run the kernels phi-compile generated ---------------===//
//
// `phi_rt_<op>(rt, slots, int_attrs, float_attrs, fn)`: the runtime's part
// is the tensor bookkeeping only (result shapes, allocation, index checks,
// splitting the work across threads); `fn` is the kernel the compiler
// generated into the model's object (lib/Target/CPU/Kernels.cpp), called
// through MLIR's C interface with pointers to memref descriptors. Operands
// are passed as strided views: broadcasts have stride 0, transposes permute
// strides, slices step them, and a KV cache with spare capacity is read in
// place.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

using namespace phi::rt;

namespace {

/// A strided view of a tensor's elements (offset and strides in elements).
struct View {
  uint8_t *base = nullptr;
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : sizes)
      n *= d;
    return n;
  }
};

/// The view of `t` (a KV cache with capacity: rows `capacity` apart),
/// padded with leading size-1 dims to `rank`.
View viewOf(const Tensor &t, int64_t rank = -1) {
  View v;
  v.base = t.data;
  int64_t r = t.rank();
  v.sizes = t.shape;
  v.strides.assign(r, 1);
  for (int64_t i = r - 1; i > 0; --i)
    v.strides[i - 1] = v.strides[i] * (i == 2 && t.capacity ? t.capacity : t.shape[i]);
  if (rank < 0)
    rank = std::max<int64_t>(r, 1);
  while ((int64_t)v.sizes.size() < rank) {
    v.sizes.insert(v.sizes.begin(), 1);
    v.strides.insert(v.strides.begin(), 0);
  }
  return v;
}

/// Dims of size 1 read the same element whatever the index: stride 0 lets a
/// view broadcast to `shape` (already padded to the same rank).
View broadcastTo(View v, const std::vector<int64_t> &shape) {
  for (size_t i = 0; i < shape.size(); ++i)
    if (v.sizes[i] == 1) {
      v.sizes[i] = shape[i];
      v.strides[i] = 0;
    }
  return v;
}

View narrow(View v, int dim, int64_t b, int64_t e) {
  v.offset += b * v.strides[dim];
  v.sizes[dim] = e - b;
  return v;
}

/// MLIR's ranked memref descriptor ({allocated, aligned, offset, sizes[R],
/// strides[R]}) for ranks up to 8.
struct Desc {
  void *allocated, *aligned;
  int64_t v[17];
};

Desc desc(const View &w) {
  Desc d{w.base, w.base, {}};
  size_t r = w.sizes.size();
  d.v[0] = w.offset;
  for (size_t i = 0; i < r; ++i) {
    d.v[1 + i] = w.sizes[i];
    d.v[1 + r + i] = w.strides[i];
  }
  return d;
}

/// Calls `fn` (a `_mlir_ciface_` kernel) on these views.
void call(void *fn, const std::vector<View> &views) {
  std::vector<Desc> d;
  for (const View &w : views)
    d.push_back(desc(w));
  using F1 = void (*)(Desc *);
  using F2 = void (*)(Desc *, Desc *);
  using F3 = void (*)(Desc *, Desc *, Desc *);
  using F4 = void (*)(Desc *, Desc *, Desc *, Desc *);
  using F5 = void (*)(Desc *, Desc *, Desc *, Desc *, Desc *);
  using F6 = void (*)(Desc *, Desc *, Desc *, Desc *, Desc *, Desc *);
  using F7 = void (*)(Desc *, Desc *, Desc *, Desc *, Desc *, Desc *, Desc *);
  Desc *p = d.data();
  switch (d.size()) {
  case 1: return reinterpret_cast<F1>(fn)(p);
  case 2: return reinterpret_cast<F2>(fn)(p, p + 1);
  case 3: return reinterpret_cast<F3>(fn)(p, p + 1, p + 2);
  case 4: return reinterpret_cast<F4>(fn)(p, p + 1, p + 2, p + 3);
  case 5: return reinterpret_cast<F5>(fn)(p, p + 1, p + 2, p + 3, p + 4);
  case 6: return reinterpret_cast<F6>(fn)(p, p + 1, p + 2, p + 3, p + 4, p + 5);
  case 7: return reinterpret_cast<F7>(fn)(p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6);
  }
}

/// Calls `fn` on `views` (all of the same shape: outputs and operands
/// element for element), split along the outermost
/// dim worth splitting across the thread pool when the work is large.
void callSplit(Context &c, void *fn, const std::vector<View> &views, int64_t minWork = 1 << 15) {
  const View &o = views[0];
  int64_t rank = o.sizes.size(), n = o.numel();
  int dim = -1;
  for (int64_t i = 0; i + 1 < rank || (i == 0 && rank == 1); ++i)
    if (o.sizes[i] > 1) {
      dim = i;
      break;
    }
  if (dim < 0 || n < minWork || c.pool->size() == 1)
    return call(fn, views);
  int64_t per = std::max<int64_t>(1, minWork / std::max<int64_t>(1, n / o.sizes[dim]));
  c.pool->parallelFor(o.sizes[dim], [&](int64_t b, int64_t e) {
    std::vector<View> part;
    for (const View &w : views)
      part.push_back(narrow(w, dim, b, e));
    call(fn, part);
  }, per);
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

bool typeIs(Context &c, const Tensor &t, int64_t want, const char *op) {
  if (t.dt == want)
    return true;
  c.fail(std::string(op) + ": operand of type " + dtypeName(t.dt) + ", the kernel was compiled for " +
         dtypeName((DType)want));
  return false;
}

#define RT Context &c = *static_cast<Context *>(rtp); if (c.failed()) return

} // namespace

extern "C" {

/// Which kernels a generic x86-64 object runs: 3 when the CPU has AVX2, FMA
/// and F16C (the x86-64-v3 builds, <kernel>_avx2), else 0.
/// PHI_GENERIC_KERNELS=1 forces the generic ones (the tests run both).
int32_t phi_rt_cpu_level(void *) {
#if defined(__x86_64__)
  static const int32_t level = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                                       __builtin_cpu_supports("f16c") &&
                                       !getenv("PHI_GENERIC_KERNELS")
                                   ? 3
                                   : 0;
  return level;
#else
  return 0;
#endif
}

/// slots: [out, in...]; ia: [n, out dtype, rank, integer divisor check,
/// in dtypes...]. Elementwise ops (arithmetic, comparisons, logic, casts,
/// where, fp16 rounding) with numpy broadcasting.
void phi_rt_ew(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  int64_t n = ia[0], rank = ia[2];
  std::vector<int64_t> shape;
  for (int64_t i = 0; i < n; ++i) {
    const Tensor &t = c.at(s[1 + i]);
    if (!typeIs(c, t, ia[4 + i], "elementwise op"))
      return;
    std::vector<int64_t> next;
    if (!broadcastShape(shape, t.shape, next)) {
      std::string all;
      for (int64_t j = 0; j < n; ++j)
        all += (j ? " and " : "") + shapeStr(c.at(s[1 + j]).shape);
      return c.fail("elementwise op: shapes " + all + " do not broadcast");
    }
    shape = next;
  }
  if ((int64_t)shape.size() > std::max<int64_t>(rank, 1))
    return c.fail("elementwise op: result " + shapeStr(shape) + " has more than " +
                  std::to_string(rank) + " dims");
  if (ia[3]) {
    std::vector<int64_t> d = valuesOf(c.at(s[2]));
    if (std::find(d.begin(), d.end(), 0) != d.end())
      return c.fail("integer division by zero");
  }
  Tensor out = alloc((DType)ia[1], shape);
  int64_t r = std::max<int64_t>(rank, 1);
  std::vector<int64_t> padded = viewOf(out, r).sizes;
  std::vector<View> views = {viewOf(out, r)};
  for (int64_t i = 0; i < n; ++i)
    views.push_back(broadcastTo(viewOf(c.at(s[1 + i]), r), padded));
  if (out.numel())
    callSplit(c, fn, views);
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x]; ia: [kind (0 mean, 1 sum, 2 max), keepdims, rank, mask]
void phi_rt_reduce(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  const Tensor &in = c.at(s[1]);
  int64_t r = in.rank(), mask = ia[3];
  if (r != ia[2])
    return c.fail("reduce: input " + shapeStr(in.shape) + " is not of rank " + std::to_string(ia[2]));
  std::vector<int64_t> kept, shape;
  for (int64_t i = 0; i < r; ++i) {
    bool red = mask >> i & 1;
    kept.push_back(red ? 1 : in.shape[i]);
    if (!red || ia[1])
      shape.push_back(kept.back());
  }
  Tensor out = alloc(in.dt, kept);
  call(fn, {viewOf(out), viewOf(in)});
  out.shape = shape;
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x]; ia: [axis]
void phi_rt_softmax(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  const Tensor &in = dense(c, s[1]);
  if (!typeIs(c, in, F32, "softmax"))
    return;
  int64_t r = in.rank(), ax = normAxis(ia[0], r), inner = 1, outer = 1, n = in.shape[ax];
  for (int64_t i = ax + 1; i < r; ++i)
    inner *= in.shape[i];
  for (int64_t i = 0; i < ax; ++i)
    outer *= in.shape[i];
  Tensor out = alloc(F32, in.shape);
  // [outer, inner, n]: the reduced dim innermost, `inner` apart.
  auto v = [&](const Tensor &t) {
    View w;
    w.base = t.data;
    w.sizes = {outer, inner, n};
    w.strides = {n * inner, 1, inner};
    return w;
  };
  if (out.numel())
    callSplit(c, fn, {v(out), v(in)}, 4096);
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x]; ia: [rank, perm...]
void phi_rt_transpose(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  const Tensor &in = c.at(s[1]);
  int64_t r = in.rank();
  if (ia[0] != r)
    return c.fail("transpose: perm of " + std::to_string(ia[0]) + " for input " + shapeStr(in.shape));
  View src = viewOf(in), perm = src;
  std::vector<int64_t> shape(r);
  for (int64_t i = 0; i < r; ++i) {
    perm.sizes[i] = src.sizes[ia[1 + i]];
    perm.strides[i] = src.strides[ia[1 + i]];
    shape[i] = in.shape[ia[1 + i]];
  }
  Tensor out = alloc(in.dt, shape);
  if (out.numel())
    callSplit(c, fn, {viewOf(out, perm.sizes.size()), perm});
  c.at(s[0]) = std::move(out);
}

/// slots: [out, in...]; ia: [axis, n]
void phi_rt_concat(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  int64_t n = ia[1];
  const Tensor &first = c.at(s[1]);
  int64_t r = first.rank(), ax = normAxis(ia[0], r);
  std::vector<int64_t> shape = first.shape;
  shape[ax] = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Tensor &t = c.at(s[1 + i]);
    if (t.rank() != r || t.dt != first.dt)
      return c.fail("concat: operands differ in rank or type");
    for (int64_t d = 0; d < r; ++d)
      if (d != ax && t.shape[d] != first.shape[d])
        return c.fail("concat: " + shapeStr(t.shape) + " and " + shapeStr(first.shape) +
                      " differ off axis " + std::to_string(ax));
    shape[ax] += t.shape[ax];
  }
  Tensor out = alloc(first.dt, shape);
  View all = viewOf(out);
  int64_t at = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Tensor &t = c.at(s[1 + i]);
    if (t.numel())
      callSplit(c, fn, {narrow(all, ax, at, at + t.shape[ax]), viewOf(t, all.sizes.size())});
    at += t.shape[ax];
  }
  c.at(s[0]) = std::move(out);
}

/// slots: [outs..., x]; ia: [axis, n, sizes...]
void phi_rt_split(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  int64_t n = ia[1];
  const Tensor &in = c.at(s[n]);
  int64_t r = in.rank(), ax = normAxis(ia[0], r), total = 0;
  for (int64_t i = 0; i < n; ++i)
    total += ia[2 + i];
  if (total != in.shape[ax])
    return c.fail("split: sizes do not add up to " + std::to_string(in.shape[ax]));
  View src = viewOf(in);
  std::vector<Tensor> outs;
  int64_t at = 0;
  for (int64_t k = 0; k < n; ++k) {
    std::vector<int64_t> shape = in.shape;
    shape[ax] = ia[2 + k];
    Tensor o = alloc(in.dt, shape);
    if (o.numel())
      callSplit(c, fn, {viewOf(o), narrow(src, ax, at, at + ia[2 + k])});
    at += ia[2 + k];
    outs.push_back(std::move(o));
  }
  for (int64_t k = 0; k < n; ++k)
    c.at(s[k]) = std::move(outs[k]);
}

/// slots: [out, x, starts, ends, axes | -1, steps | -1]
void phi_rt_slice(void *rtp, const int32_t *s, const int64_t *, const float *, void *fn) {
  RT;
  const Tensor &in = c.at(s[1]);
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
  if (en.size() != st.size() || axes.size() != st.size() || steps.size() != st.size())
    return c.fail("slice: starts, ends, axes and steps differ in length");
  int64_t r = in.rank();
  View src = viewOf(in);
  std::vector<int64_t> shape = in.shape;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = normAxis(axes[i], r);
    if (a < 0 || a >= r)
      return c.fail("slice: axis " + std::to_string(axes[i]) + " of rank " + std::to_string(r));
    int64_t d = in.shape[a], k = steps[i];
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
    if (shape[a])
      src.offset += b * src.strides[a];
    src.strides[a] *= k;
    src.sizes[a] = shape[a];
  }
  Tensor out = alloc(in.dt, shape);
  if (out.numel())
    callSplit(c, fn, {viewOf(out, src.sizes.size()), src});
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x, shape]
void phi_rt_expand(void *rtp, const int32_t *s, const int64_t *, const float *, void *fn) {
  RT;
  const Tensor &in = c.at(s[1]);
  std::vector<int64_t> want = valuesOf(c.at(s[2])), shape;
  if (!broadcastShape(in.shape, want, shape))
    return c.fail("expand: " + shapeStr(in.shape) + " to " + shapeStr(want));
  Tensor out = alloc(in.dt, shape);
  View o = viewOf(out);
  if (out.numel())
    callSplit(c, fn, {o, broadcastTo(viewOf(in, o.sizes.size()), o.sizes)});
  c.at(s[0]) = std::move(out);
}

/// Index checks shared by gather, gather_nd and embedding.
static bool checkIndices(Context &c, const std::vector<int64_t> &idx, int64_t d,
                         bool negatives, const char *what) {
  for (int64_t j : idx)
    if (j >= d || j < (negatives ? -d : 0)) {
      if (std::string(what) == "token id")
        c.fail("token id " + std::to_string(j) + " is out of range [0, " + std::to_string(d) + ")");
      else
        c.fail(std::string(what) + ": index " + std::to_string(j) + " out of range [0, " +
               std::to_string(d) + ")");
      return false;
    }
  return true;
}

/// [A, J, K] rows of `data` ([A, D, K]) picked by `idx` ([A or 1, J]).
static void gatherRows(Context &c, void *fn, Tensor &out, const Tensor &data, int64_t A,
                       int64_t D, int64_t K, const Tensor &idx, int64_t idxA, int64_t J) {
  auto v3 = [&](const Tensor &t, int64_t a, int64_t b, int64_t k) {
    View w;
    w.base = t.data;
    w.sizes = {a, b, k};
    w.strides = {b * k, k, 1};
    return w;
  };
  View iv;
  iv.base = idx.data;
  iv.sizes = {A, J};
  iv.strides = {idxA == 1 ? 0 : J, 1};
  if (!out.numel())
    return;
  // Split the output rows (and their indices), never the table.
  View o = v3(out, A, J, K), d = v3(data, A, D, K);
  if (out.numel() < (1 << 14) || J < 2)
    return call(fn, {o, d, iv});
  c.pool->parallelFor(J, [&](int64_t b, int64_t e) {
    call(fn, {narrow(o, 1, b, e), d, narrow(iv, 1, b, e)});
  }, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, A * K)));
}

/// slots: [out, data, indices]; ia: [axis]
void phi_rt_gather(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  const Tensor &data = dense(c, s[1]), &ind = c.at(s[2]);
  int64_t r = data.rank(), ax = normAxis(ia[0], r), d = data.shape[ax];
  if (!checkIndices(c, valuesOf(ind), d, true, "gather"))
    return;
  std::vector<int64_t> shape;
  int64_t A = 1, K = 1;
  for (int64_t i = 0; i < ax; ++i) {
    shape.push_back(data.shape[i]);
    A *= data.shape[i];
  }
  for (int64_t x : ind.shape)
    shape.push_back(x);
  for (int64_t i = ax + 1; i < r; ++i) {
    shape.push_back(data.shape[i]);
    K *= data.shape[i];
  }
  Tensor out = alloc(data.dt, shape);
  gatherRows(c, fn, out, data, A, d, K, ind, 1, ind.numel());
  c.at(s[0]) = std::move(out);
}

/// slots: [out, data, indices]; ia: [batch_dims]. The indexed dims become
/// one row index per (batch, index tuple), then a gather of rows.
void phi_rt_gather_nd(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  const Tensor &data = dense(c, s[1]), &ind = c.at(s[2]);
  int64_t bd = ia[0], q = ind.rank(), last = ind.shape[q - 1], r = data.rank();
  if (bd + last > r)
    return c.fail("gather_nd: " + std::to_string(last) + " indices into rank " + std::to_string(r));
  std::vector<int64_t> shape(ind.shape.begin(), ind.shape.end() - 1);
  int64_t K = 1, batch = 1, rows = 1, per = 1;
  for (int64_t i = bd + last; i < r; ++i) {
    shape.push_back(data.shape[i]);
    K *= data.shape[i];
  }
  for (int64_t i = 0; i < bd; ++i)
    batch *= data.shape[i];
  for (int64_t i = bd; i < bd + last; ++i)
    rows *= data.shape[i];
  for (int64_t i = bd; i < q - 1; ++i)
    per *= ind.shape[i];
  std::vector<int64_t> idx = valuesOf(ind);
  Tensor flat = alloc(I64, {batch, per});
  for (int64_t p = 0; p < batch * per; ++p) {
    int64_t off = 0;
    for (int64_t j = 0; j < last; ++j) {
      int64_t d = data.shape[bd + j], x = idx[p * last + j];
      if (x < -d || x >= d)
        return c.fail("gather_nd: index " + std::to_string(x) + " out of range [0, " +
                      std::to_string(d) + ")");
      off = off * d + (x < 0 ? x + d : x);
    }
    flat.as<int64_t>()[p] = off;
  }
  Tensor out = alloc(data.dt, shape);
  gatherRows(c, fn, out, data, batch, rows, K, flat, batch, per);
  c.at(s[0]) = std::move(out);
}

/// slots: [out, table, ids]: rows of the f32 [V, H] table.
void phi_rt_embedding(void *rtp, const int32_t *s, const int64_t *, const float *, void *fn) {
  RT;
  const Tensor &table = c.at(s[1]), &ids = c.at(s[2]);
  if (table.rank() != 2 || !typeIs(c, table, F32, "embedding"))
    return;
  int64_t v = table.shape[0], h = table.shape[1];
  if (!checkIndices(c, valuesOf(ids), v, false, "token id"))
    return;
  std::vector<int64_t> shape = ids.shape;
  shape.push_back(h);
  Tensor out = alloc(F32, shape);
  gatherRows(c, fn, out, table, 1, v, h, ids, 1, ids.numel());
  c.at(s[0]) = std::move(out);
}

/// slots: [out, shape]; ia: [dtype, integer value]; fa: [float value]
void phi_rt_constant_of_shape(void *rtp, const int32_t *s, const int64_t *ia, const float *fa,
                              void *fn) {
  RT;
  std::vector<int64_t> shape = valuesOf(c.at(s[1]));
  for (int64_t d : shape)
    if (d < 0)
      return c.fail("constant_of_shape: negative dim in " + shapeStr(shape));
  Tensor out = alloc((DType)ia[0], shape);
  uint8_t value[8] = {};
  int64_t w = dtypeSize(out.dt);
  if (out.dt == F32)
    memcpy(value, fa, 4);
  else
    memcpy(value, &ia[1], w); // little-endian: the low bytes
  View o;
  o.base = out.data;
  o.sizes = {out.numel()};
  o.strides = {1};
  View v;
  v.base = value;
  v.sizes = {1};
  v.strides = {1};
  if (out.numel())
    call(fn, {o, v});
  c.at(s[0]) = std::move(out);
}

/// slots: [out, start, limit, delta]
void phi_rt_range(void *rtp, const int32_t *s, const int64_t *, const float *, void *fn) {
  RT;
  const Tensor &a = c.at(s[1]), &b = c.at(s[2]), &d = c.at(s[3]);
  auto scalar = [](const Tensor &t) {
    return t.dt == F32 ? (double)t.as<float>()[0] : (double)valuesOf(t)[0];
  };
  double start = scalar(a), limit = scalar(b), delta = scalar(d);
  if (delta == 0)
    return c.fail("range: delta 0");
  int64_t n = std::max<int64_t>((int64_t)std::ceil((limit - start) / delta), 0);
  Tensor out = alloc(a.dt, {n});
  uint8_t params[16];
  int64_t w = dtypeSize(a.dt);
  memcpy(params, a.data, w);
  memcpy(params + w, d.data, w);
  View o, p;
  o.base = out.data;
  o.sizes = {n};
  o.strides = {1};
  p.base = params;
  p.sizes = {2};
  p.strides = {1};
  if (n)
    call(fn, {o, p});
  c.at(s[0]) = std::move(out);
}

/// slots: [out, x]; ia: [upper, diagonal] (both compiled into `fn`)
void phi_rt_trilu(void *rtp, const int32_t *s, const int64_t *, const float *, void *fn) {
  RT;
  const Tensor &in = dense(c, s[1]);
  int64_t r = in.rank();
  if (r < 2)
    return c.fail("trilu: input " + shapeStr(in.shape) + " has rank < 2");
  int64_t rows = in.shape[r - 2], cols = in.shape[r - 1], batch = in.numel() / std::max<int64_t>(rows * cols, 1);
  Tensor out = alloc(in.dt, in.shape);
  auto v = [&](const Tensor &t) {
    View w;
    w.base = t.data;
    w.sizes = {batch, rows, cols};
    w.strides = {rows * cols, cols, 1};
    return w;
  };
  if (out.numel())
    callSplit(c, fn, {v(out), v(in)});
  c.at(s[0]) = std::move(out);
}

/// slots: [out, a, b]: numpy matmul of f32 activations ([..., M, K] x
/// [..., K, N]), batch dims broadcast by stride-0 views.
void phi_rt_matmul(void *rtp, const int32_t *s, const int64_t *, const float *, void *fn) {
  RT;
  const Tensor &a = c.at(s[1]), &b = c.at(s[2]);
  if (!typeIs(c, a, F32, "matmul") || !typeIs(c, b, F32, "matmul"))
    return;
  View va = viewOf(a), vb = viewOf(b);
  if (a.rank() == 1) { // [K] -> [1, K]
    va.sizes.insert(va.sizes.begin(), 1);
    va.strides.insert(va.strides.begin(), 0);
  }
  if (b.rank() == 1) { // [K] -> [K, 1]
    vb.sizes.push_back(1);
    vb.strides.push_back(0);
  }
  int64_t m = va.sizes[va.sizes.size() - 2], k = va.sizes.back(), n = vb.sizes.back();
  if (vb.sizes[vb.sizes.size() - 2] != k)
    return c.fail("matmul: " + shapeStr(a.shape) + " x " + shapeStr(b.shape));
  std::vector<int64_t> ab(va.sizes.begin(), va.sizes.end() - 2),
      bb(vb.sizes.begin(), vb.sizes.end() - 2), batch;
  if (!broadcastShape(ab, bb, batch))
    return c.fail("matmul: batch dims of " + shapeStr(a.shape) + " and " + shapeStr(b.shape) +
                  " do not broadcast");
  std::vector<int64_t> shape = batch;
  if (a.rank() > 1)
    shape.push_back(m);
  if (b.rank() > 1)
    shape.push_back(n);
  Tensor out = alloc(F32, shape);
  int64_t nb = 1;
  for (int64_t d : batch)
    nb *= d;
  // Each broadcast batch element: one [1, M, K] x [1, K, N] call.
  size_t br = batch.size();
  auto pad = [&](View v) {
    while (v.sizes.size() < br + 2) {
      v.sizes.insert(v.sizes.begin(), 1);
      v.strides.insert(v.strides.begin(), 0);
    }
    std::vector<int64_t> full = batch;
    full.push_back(v.sizes[br]);
    full.push_back(v.sizes[br + 1]);
    return broadcastTo(v, full);
  };
  View pa = pad(va), pb = pad(vb);
  auto at = [&](const View &v, int64_t p) {
    View r;
    r.base = v.base;
    r.offset = v.offset;
    for (size_t i = br; i-- > 0;) {
      r.offset += (p % batch[i]) * v.strides[i];
      p /= batch[i];
    }
    r.sizes = {1, v.sizes[br], v.sizes[br + 1]};
    r.strides = {0, v.strides[br], v.strides[br + 1]};
    return r;
  };
  View po;
  po.base = out.data;
  po.sizes = {1, m, n};
  po.strides = {0, n, 1};
  if (out.numel())
    c.pool->parallelFor(nb, [&](int64_t b0, int64_t e0) {
      for (int64_t p = b0; p < e0; ++p) {
        View o = po;
        o.offset = p * m * n;
        call(fn, {o, at(pa, p), at(pb, p)});
      }
    });
  c.at(s[0]) = std::move(out);
}

/// slots: [out, present_k, present_v, q, k, v, past_k | -1, past_v | -1,
/// mask | -1]; ia: [num_heads, num_kv_heads, causal] (causal, the scale and
/// whether there is a mask are compiled into `fn`). The runtime owns the KV
/// cache: a past cache with room (capacity) is appended in place and becomes
/// the present one; the kernel reads it through strided views.
void phi_rt_attention(void *rtp, const int32_t *s, const int64_t *ia, const float *, void *fn) {
  RT;
  const Tensor &q = dense(c, s[3]), &kn = dense(c, s[4]), &vn = dense(c, s[5]);
  if (q.rank() != 4)
    return c.fail("attention: q " + shapeStr(q.shape) + " is not [B, H, S, D]");
  int64_t H = ia[0], Hkv = ia[1], B = q.shape[0], S = q.shape[2], D = q.shape[3];
  if (q.shape[1] != H || kn.shape != std::vector<int64_t>{B, Hkv, S, D} || vn.shape != kn.shape)
    return c.fail("attention: k " + shapeStr(kn.shape) + " and v " + shapeStr(vn.shape) +
                  " do not match q " + shapeStr(q.shape) + " with " + std::to_string(Hkv) +
                  " kv heads");
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
        memcpy(pr.as<float>() + bh * newCap * D, past.as<float>() + bh * cap * D, len * D * 4);
      cap = newCap;
    }
    for (int64_t bh = 0; bh < B * Hkv; ++bh)
      memcpy(pr.as<float>() + (bh * cap + len) * D, nw.as<float>() + bh * S * D, S * D * 4);
    pr.shape = {B, Hkv, len + S, D};
    pr.capacity = cap;
    return pr;
  };
  if (s[6] >= 0 && (c.at(s[6]).rank() != 4 || c.at(s[6]).shape[3] != D))
    return c.fail("attention: past key " + shapeStr(c.at(s[6]).shape) + " for head dim " +
                  std::to_string(D));
  int64_t P = s[6] >= 0 ? c.at(s[6]).shape[2] : 0;
  Tensor pk = present(s[6], kn), pv = present(s[7], vn);
  int64_t T = P + S;
  Tensor mask;
  if (s[8] >= 0) {
    const Tensor &m = c.at(s[8]);
    if (m.numel() != B * T)
      return c.fail("attention: mask " + shapeStr(m.shape) + " for " + std::to_string(T) + " keys");
    mask = alloc(I64, {B, T});
    std::vector<int64_t> mv = valuesOf(m);
    memcpy(mask.data, mv.data(), mv.size() * 8);
  }
  Tensor out = alloc(F32, {B, H, S, D});
  auto kv = [&](const Tensor &t) {
    View w;
    w.base = t.data;
    int64_t cap = t.capacity ? t.capacity : T;
    w.sizes = {B * Hkv, T, D};
    w.strides = {cap * D, D, 1};
    return w;
  };
  View vq, vo, vk = kv(pk), vv = kv(pv), vm;
  vq.base = q.data;
  vo.base = out.data;
  vq.sizes = vo.sizes = {B * H, S, D};
  vq.strides = vo.strides = {S * D, D, 1};
  if (mask.data) {
    vm.base = mask.data;
    vm.sizes = {B, T};
    vm.strides = {T, 1};
  }
  c.pool->parallelFor(B * H, [&](int64_t hb, int64_t he) {
    std::vector<float> scratch(4 * T); // scores of 4 query rows
    int64_t params[4] = {hb, H, H / Hkv, Hkv};
    View sv, pv2;
    sv.base = reinterpret_cast<uint8_t *>(scratch.data());
    sv.sizes = {4 * T};
    sv.strides = {1};
    pv2.base = reinterpret_cast<uint8_t *>(params);
    pv2.sizes = {4};
    pv2.strides = {1};
    std::vector<View> views = {narrow(vo, 0, hb, he), narrow(vq, 0, hb, he), vk, vv};
    if (mask.data)
      views.push_back(vm);
    views.push_back(sv);
    views.push_back(pv2);
    call(fn, views);
  });
  c.at(s[0]) = std::move(out);
  c.at(s[1]) = std::move(pk);
  c.at(s[2]) = std::move(pv);
}

} // extern "C"
