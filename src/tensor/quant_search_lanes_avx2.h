// Pieces shared by the AVX2 scale searches (quant_k_search_avx2.cpp, quant_iq4_search_avx2.cpp),
// where each of eight lanes runs the scalar search of one block, on blocks transposed so that step
// i loads element i of all eight. Only those files include it: they are built with AVX2 and
// without -mfma, so nothing here is fused.
#pragma once
#include <immintrin.h>

#include "tensor/quant_k_search.h"

namespace airlock::quant::lanes {

inline constexpr int kLanes = 8;

inline __m256 select(__m256 if_false, __m256 if_true, __m256 mask) { return _mm256_blendv_ps(if_false, if_true, mask); }

inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

// Block j (lane j) of `n` elements starting at src + j * n, element-major: dst[i * 8 + j].
inline void transpose_in(const float* src, int n, float* dst) {
  for (int j = 0; j < kLanes; ++j)
    for (int i = 0; i < n; ++i) dst[i * kLanes + j] = src[j * n + i];
}

// Per lane, the first of the largest-magnitude values among the n of x (element-major), as the
// scalar loops keep it; the returned mask marks lanes whose largest magnitude is below
// kGroupMaxEps (a block of near-zeros, which the searches give scale 0).
inline __m256 signed_max(int n, const float* x, __m256& max) {
  __m256 amax = _mm256_setzero_ps();
  max = _mm256_setzero_ps();
  for (int i = 0; i < n; ++i) {
    const __m256 xi = _mm256_loadu_ps(x + i * kLanes);
    const __m256 ax = abs_ps(xi);
    const __m256 larger = _mm256_cmp_ps(ax, amax, _CMP_GT_OQ);
    amax = select(amax, ax, larger);
    max = select(max, xi, larger);
  }
  return _mm256_cmp_ps(amax, _mm256_set1_ps(kGroupMaxEps), _CMP_LT_OQ);
}

}  // namespace airlock::quant::lanes
