// AVX2 IQ4_NL/IQ4_XS quantizers whose blocks equal the scalar ones bit for bit: each of the eight
// lanes runs the scalar scale search (iq4_block_scale in quant_iq.cpp) of one 32-element block,
// the same operations in the same order, on blocks transposed so that step j loads element j of
// eight blocks. Built without -mfma (see src/tensor/CMakeLists.txt), so no product is fused.
#include <immintrin.h>

#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"
#include "tensor/quant_iq4_pack.h"
#include "tensor/quant_k_search.h"
#include "tensor/quant_search_lanes_avx2.h"

namespace airlock::quant {

namespace {

using namespace lanes;

// The codebook value nearest to each lane's x, as the scalar best_index picks it: below the
// first value or above the last the end value, else the lower neighbour when strictly nearer.
__m256 nearest_value(__m256 x) {
  __m256 lower = _mm256_set1_ps(kIQ4Values[0]), upper = _mm256_set1_ps(kIQ4Values[1]);
  for (int k = 1; k < 15; ++k) {
    const __m256 at_or_above = _mm256_cmp_ps(x, _mm256_set1_ps(kIQ4Values[k]), _CMP_GE_OQ);
    lower = select(lower, _mm256_set1_ps(kIQ4Values[k]), at_or_above);
    upper = select(upper, _mm256_set1_ps(kIQ4Values[k + 1]), at_or_above);
  }
  const __m256 lower_nearer = _mm256_cmp_ps(_mm256_sub_ps(x, lower), _mm256_sub_ps(upper, x), _CMP_LT_OQ);
  return select(upper, lower, lower_nearer);
}

// iq4_block_scale for the eight blocks of 32 starting at x (block j at x + 32 * j).
void iq4_block_scales_x8(const float* x, float* scales) {
  float xt[32 * kLanes];
  transpose_in(x, 32, xt);
  const __m256 zero = _mm256_setzero_ps();
  __m256 max;
  const __m256 empty = signed_max(32, xt, max);

  // The weighted fit for the inverse scale id: sums of w*q*x and w*q*q with w = x^2.
  auto fit = [&xt, zero](__m256 id, __m256& sumqx, __m256& sumq2) {
    sumqx = sumq2 = zero;
    for (int i = 0; i < 32; ++i) {
      const __m256 xi = _mm256_loadu_ps(xt + i * kLanes);
      const __m256 q = nearest_value(_mm256_mul_ps(id, xi));
      const __m256 wq = _mm256_mul_ps(_mm256_mul_ps(xi, xi), q);
      sumqx = _mm256_add_ps(sumqx, _mm256_mul_ps(wq, xi));
      sumq2 = _mm256_add_ps(sumq2, _mm256_mul_ps(wq, q));
    }
  };
  __m256 d = _mm256_div_ps(_mm256_xor_ps(max, _mm256_set1_ps(-0.0f)), _mm256_set1_ps(kIQ4Values[0]));
  __m256 sumqx, sumq2;
  fit(_mm256_div_ps(_mm256_set1_ps(1.0f), d), sumqx, sumq2);
  d = _mm256_div_ps(sumqx, sumq2);
  __m256 best = _mm256_mul_ps(d, sumqx);
  for (int itry = -kIQ4Tries; itry <= kIQ4Tries; ++itry) {
    fit(_mm256_div_ps(_mm256_set1_ps(static_cast<float>(itry + kIQ4Values[0])), max), sumqx, sumq2);
    const __m256 better = _mm256_and_ps(_mm256_cmp_ps(sumq2, zero, _CMP_GT_OQ),
                                        _mm256_cmp_ps(_mm256_mul_ps(sumqx, sumqx), _mm256_mul_ps(best, sumq2), _CMP_GT_OQ));
    const __m256 new_d = _mm256_div_ps(sumqx, sumq2);
    d = select(d, new_d, better);
    best = select(best, _mm256_mul_ps(new_d, sumqx), better);
  }
  _mm256_storeu_ps(scales, select(d, zero, empty));
}

}  // namespace

void quantize_iq4_nl_avx2(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockIQ4_NL*>(dst);
  const int64_t blocks = n / kQK;
  int64_t i = 0;
  for (; i + kLanes <= blocks; i += kLanes) {
    float scales[kLanes];
    iq4_block_scales_x8(x + i * kQK, scales);
    for (int j = 0; j < kLanes; ++j) pack_iq4_nl(x + (i + j) * kQK, scales[j], b[i + j]);
  }
  for (; i < blocks; ++i) pack_iq4_nl(x + i * kQK, iq4_block_scale(x + i * kQK), b[i]);
}

void quantize_iq4_xs_avx2(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockIQ4_XS*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float scales[kQK_K / 32];
    iq4_block_scales_x8(x, scales);
    pack_iq4_xs(x, scales, b[i]);
  }
}

}  // namespace airlock::quant
