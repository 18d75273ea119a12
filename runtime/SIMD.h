//===- SIMD.h - x86 helpers the runtime's kernels share --------*- C++ -*-===//
#ifndef PHI_RUNTIME_SIMD_H
#define PHI_RUNTIME_SIMD_H

#if defined(__x86_64__)
#include <immintrin.h>

namespace phi::rt {
/// The sum of a vector's 8 lanes.
__attribute__((target("avx2"))) inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
} // namespace phi::rt
#endif

#endif // PHI_RUNTIME_SIMD_H
