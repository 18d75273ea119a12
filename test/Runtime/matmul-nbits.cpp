// The runtime's quantized matmul (every path the compiler can pick: one
// token or several, 4 or 8 bits, f32 or int8 activations, symmetric or with
// zero points, blocks of 16 to 256, K not a multiple of the block) against a
// plain reference written here from the MatMulNBits definition:
//   y[m, n] = sum_k a[m, k] * (q[n, k] - z[n, k / bs]) * s[n, k / bs].
// f32 activations must match to 1e-5 relative (plus 1e-7 of sum |a w|, two
// float roundings, where the sum cancels); int8 activations (accuracy level
// 4) carry the activation rounding, bounded by 0.2% of sum |a w| (measured
// at most 1.3e-3 for K = 64, ~3e-4 at Phi-3.5 widths).
#include "Runtime.h"

#include <cmath>
#include <cstdio>
#include <random>

extern "C" void phi_rt_matmul_nbits(void *, const int32_t *, const int64_t *, const float *);

using namespace phi::rt;

static int check(int64_t m, int64_t k, int64_t n, int64_t bits, int64_t bs, bool zp, int acc,
                 int threads) {
  std::mt19937 rng(k * 131 + n * 7 + bits + bs + zp + acc);
  std::uniform_real_distribution<float> uni(-1, 1);
  int64_t blocks = (k + bs - 1) / bs, blob = bs * bits / 8, zpRow = (blocks * bits + 7) / 8;
  Context c;
  c.pool = std::make_unique<ThreadPool>(threads);
  c.slots.resize(5);
  Tensor a = alloc(F32, {m, k}), b = alloc(U8, {n, blocks, blob}), s = alloc(F32, {n * blocks}),
         z = alloc(U8, {n * zpRow});
  for (int64_t i = 0; i < a.numel(); ++i)
    a.as<float>()[i] = uni(rng);
  for (int64_t i = 0; i < b.numel(); ++i)
    b.as<uint8_t>()[i] = (uint8_t)rng();
  for (int64_t i = 0; i < s.numel(); ++i)
    s.as<float>()[i] = 0.01f + 0.02f * std::fabs(uni(rng));
  for (int64_t i = 0; i < z.numel(); ++i)
    z.as<uint8_t>()[i] = (uint8_t)rng();
  c.slots[1] = a;
  c.slots[2] = b;
  c.slots[3] = s;
  c.slots[4] = z;
  int32_t slots[5] = {0, 1, 2, 3, zp ? 4 : -1};
  int64_t ia[5] = {bits, bs, k, n, acc};
  phi_rt_matmul_nbits(&c, slots, ia, nullptr);
  if (c.failed()) {
    printf("FAIL %s\n", c.error.c_str());
    return 1;
  }
  const float *y = c.slots[0].as<float>();
  const uint8_t *q = b.as<uint8_t>(), *zq = z.as<uint8_t>();
  double worst = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double ref = 0, mag = 0;
      for (int64_t kk = 0; kk < k; ++kk) {
        int64_t blk = kk / bs, t = kk % bs;
        const uint8_t *row = q + (j * blocks + blk) * blob;
        int code = bits == 4 ? (t % 2 ? row[t / 2] >> 4 : row[t / 2] & 15) : row[t];
        int zero = 1 << (bits - 1);
        if (zp) {
          uint8_t byte = zq[j * zpRow + blk * bits / 8];
          zero = bits == 8 ? byte : (blk % 2 ? byte >> 4 : byte & 15);
        }
        double w = (code - zero) * (double)s.as<float>()[j * blocks + blk];
        ref += a.as<float>()[i * k + kk] * w;
        mag += std::fabs(a.as<float>()[i * k + kk] * w);
      }
      double err = std::fabs(y[i * n + j] - ref) / (acc == 4 ? mag : std::fabs(ref) + 1e-2 * mag);
      worst = std::max(worst, err);
    }
  double tol = acc == 4 ? 2e-3 : 1e-5;
  bool ok = worst <= tol;
  printf("%s m=%lld k=%lld n=%lld bits=%lld block=%lld zp=%d acc=%d threads=%d: error %.2e (tolerance %.0e)\n",
         ok ? "ok" : "FAIL", (long long)m, (long long)k, (long long)n, (long long)bits,
         (long long)bs, (int)zp, acc, threads, worst, tol);
  return ok ? 0 : 1;
}

int main() {
  int fails = 0;
  for (int acc : {0, 4})
    for (int64_t bits : {4, 8})
      for (bool zp : {false, true}) {
        // Decode (m = 1) at Phi-3.5-like widths, block 32 and wider, odd N.
        fails += check(1, 3072, 77, bits, 32, zp, acc, 2);
        fails += check(1, 1024, 40, bits, 128, zp, acc, 1);
        fails += check(1, 8192, 33, bits, 64, zp, acc, 2);
        fails += check(1, 64, 5, bits, 32, zp, acc, 2);
        // Prefill (m > 1), K not a multiple of the block, block 16 and 256.
        fails += check(3, 3072, 40, bits, 32, zp, acc, 2);
        fails += check(9, 3072, 37, bits, 32, zp, acc, 2); // token tiles 4, 4, 1
        fails += check(6, 1024, 20, bits, 64, zp, acc, 1);
        fails += check(2, 100, 9, bits, 32, zp, acc, 2);
        fails += check(1, 520, 17, bits, 16, zp, acc, 2);
        fails += check(2, 768, 11, bits, 256, zp, acc, 2);
        // Many tokens: the panel GEMM at accuracy 0 (tiles of 6 tokens and
        // 16 columns, partial ones too), K not a multiple of the block.
        fails += check(37, 3072, 45, bits, 32, zp, acc, 2);
        fails += check(16, 520, 16, bits, 16, zp, acc, 1);
      }
  printf("%d failed\n", fails);
  return fails != 0;
}
