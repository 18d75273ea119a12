// The runtime's float matmul against a transposed weight (matmul_wt: what a
// float phi.matmul with a weight operand calls), f32 and f16 weights, one
// token and several, K with and without a tail, against a double-precision
// reference: within 1e-5 relative (plus 1e-7 of sum |a w|).
#include "Runtime.h"

#include <cmath>
#include <cstdio>
#include <random>

extern "C" void phi_rt_matmul_wt(void *, const int32_t *, const int64_t *, const float *);

using namespace phi::rt;

static int check(int64_t m, int64_t k, int64_t n, bool half, int threads) {
  std::mt19937 rng(m * 7 + k * 3 + n + half);
  std::uniform_real_distribution<float> uni(-1, 1);
  Context c;
  c.pool = std::make_unique<ThreadPool>(threads);
  c.slots.resize(3);
  Tensor a = alloc(F32, {1, m, k}), w = alloc(half ? F16 : F32, {n, k});
  std::vector<double> wv(n * k);
  for (int64_t i = 0; i < a.numel(); ++i)
    a.as<float>()[i] = uni(rng);
  for (int64_t i = 0; i < n * k; ++i) {
    float f = uni(rng);
    if (half) {
      w.as<uint16_t>()[i] = floatToHalf(f);
      wv[i] = halfToFloat(w.as<uint16_t>()[i]);
    } else {
      w.as<float>()[i] = f;
      wv[i] = f;
    }
  }
  c.slots[1] = a;
  c.slots[2] = w;
  int32_t slots[3] = {0, 1, 2};
  phi_rt_matmul_wt(&c, slots, nullptr, nullptr);
  if (c.failed()) {
    printf("FAIL %s\n", c.error.c_str());
    return 1;
  }
  const float *y = c.slots[0].as<float>();
  double worst = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double ref = 0, mag = 0;
      for (int64_t t = 0; t < k; ++t) {
        ref += a.as<float>()[i * k + t] * wv[j * k + t];
        mag += std::fabs(a.as<float>()[i * k + t] * wv[j * k + t]);
      }
      worst = std::max(worst, std::fabs(y[i * n + j] - ref) / (std::fabs(ref) + 1e-2 * mag));
    }
  bool ok = worst <= 1e-5;
  printf("%s m=%lld k=%lld n=%lld %s: error %.2e\n", ok ? "ok" : "FAIL", (long long)m,
         (long long)k, (long long)n, half ? "f16" : "f32", worst);
  return ok ? 0 : 1;
}

int main() {
  int fails = 0;
  for (bool half : {false, true}) {
    fails += check(1, 3072, 70, half, 2);
    fails += check(1, 100, 9, half, 2);
    fails += check(5, 1024, 33, half, 2);
    fails += check(4, 64, 96, half, 1);
    fails += check(3, 8, 5, half, 1);
  }
  // f16 conversions round to nearest even, overflow to inf, keep subnormals.
  struct { float f; uint16_t h; } cases[] = {
      {1.0f, 0x3c00}, {-2.0f, 0xc000}, {65504.0f, 0x7bff}, {65520.0f, 0x7c00},
      {1.0f + 1.0f / 2048, 0x3c00}, {1.0f + 3.0f / 2048, 0x3c02}, {5.9604645e-8f, 0x0001},
      {2.9802322e-8f, 0x0000}, {6.1035156e-5f, 0x0400}};
  for (auto &t : cases)
    if (floatToHalf(t.f) != t.h) {
      printf("FAIL floatToHalf(%g) = 0x%04x, expected 0x%04x\n", t.f, floatToHalf(t.f), t.h);
      ++fails;
    }
  printf("%d failed\n", fails);
  return fails != 0;
}
