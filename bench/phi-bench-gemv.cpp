//===- phi-bench-gemv.cpp - time the runtime's quantized GEMV -------------===//
//
//   phi-bench-gemv K N bits block accuracy threads [copies] [M] [huge]
//
// Calls the kernel a compiled model calls (phi_rt_matmul_nbits) for M
// tokens (default 1, decode) over `copies` distinct weight sets, cycling, so the weights
// come from memory as in decode rather than from cache; prints the median
// microseconds per GEMV. With `huge`, the weights sit in transparent huge
// pages (madvise), as phi_options.huge_pages places a model's. Driven by bench/gemv.py.
//
//===----------------------------------------------------------------------===//

#include "../runtime/Runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <random>
#include <sys/mman.h>

extern "C" void phi_rt_matmul_nbits(void *, const int32_t *, const int64_t *, const float *);

using namespace phi::rt;

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s K N bits block accuracy threads [copies] [M]\n", argv[0]);
    return 2;
  }
  int64_t k = atoll(argv[1]), n = atoll(argv[2]), bits = atoll(argv[3]),
          bs = atoll(argv[4]), acc = atoll(argv[5]);
  int threads = atoi(argv[6]);
  int64_t blocks = (k + bs - 1) / bs, blob = bs * bits / 8;
  int64_t bytes = n * blocks * blob + n * blocks * 4;
  int64_t copies = argc > 7 && atoll(argv[7]) > 0 ? atoll(argv[7])
                                                  : std::max<int64_t>(1, (512ll << 20) / bytes);
  int64_t m = argc > 8 ? std::max<int64_t>(1, atoll(argv[8])) : 1;
  bool huge = argc > 9 && std::string(argv[9]) == "huge";
  uint8_t *arena = nullptr;
  size_t used = 0, arenaSize = (size_t)copies * (size_t)(bytes + 128);
  if (huge) {
    arena = (uint8_t *)mmap(nullptr, arenaSize, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(arena, arenaSize, MADV_HUGEPAGE);
  }
  auto place = [&](Tensor &t) {
    if (!huge)
      return;
    size_t n = t.numel() * dtypeSize(t.dt);
    memcpy(arena + used, t.data, n);
    t.data = arena + used;
    used += (n + 63) / 64 * 64;
  };
  Context c;
  c.pool = std::make_unique<ThreadPool>(threads);
  c.slots.resize(2 + 2 * copies);
  std::mt19937 rng(0);
  Tensor a = alloc(F32, {1, m, k});
  for (int64_t i = 0; i < m * k; ++i)
    a.as<float>()[i] = std::uniform_real_distribution<float>(-1, 1)(rng);
  c.slots[1] = a;
  for (int64_t cp = 0; cp < copies; ++cp) {
    Tensor b = alloc(U8, {n, blocks, blob}), s = alloc(F32, {n * blocks});
    for (int64_t i = 0; i < b.numel(); ++i)
      b.as<uint8_t>()[i] = (uint8_t)rng();
    for (int64_t i = 0; i < s.numel(); ++i)
      s.as<float>()[i] = 0.01f;
    place(b);
    place(s);
    c.slots[2 + 2 * cp] = b;
    c.slots[3 + 2 * cp] = s;
  }
  int64_t ia[5] = {bits, bs, k, n, acc};
  std::vector<double> times;
  int64_t iters = std::max<int64_t>(3 * copies, 30);
  for (int64_t it = 0; it < iters; ++it) {
    int64_t cp = it % copies;
    int32_t slots[5] = {0, 1, (int32_t)(2 + 2 * cp), (int32_t)(3 + 2 * cp), -1};
    auto t0 = std::chrono::steady_clock::now();
    phi_rt_matmul_nbits(&c, slots, ia, nullptr);
    times.push_back(std::chrono::duration<double, std::micro>(
                        std::chrono::steady_clock::now() - t0)
                        .count());
    if (c.failed()) {
      fprintf(stderr, "%s\n", c.error.c_str());
      return 1;
    }
  }
  std::sort(times.begin(), times.end());
  printf("%.1f\n", times[times.size() / 2]);
  return 0;
}
