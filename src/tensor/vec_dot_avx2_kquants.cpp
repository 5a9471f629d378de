// AVX2 dot products for Q2_K, Q3_K, Q5_K and IQ4_XS against Q8_K activations. Products are taken
// per 32 elements with maddubs (unsigned quants x signed activations), then weighted by the
// 16- or 32-element sub-block scales with madd. Used on the AVX-512 path too.
#include <immintrin.h>

#include "tensor/quant_blocks.h"
#include "tensor/quant_k_scales.h"
#include "tensor/simd_avx2.h"
#include "tensor/vec_dot.h"

namespace airlock::kernels {

using namespace airlock::quant;
using namespace avx2;

namespace {

// int16 scales for the two 16-element halves of a 32-element group (low lane, high lane).
__m256i pair_scales(int lo, int hi) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(hi)), _mm_set1_epi16(static_cast<int16_t>(lo)));
}

}  // namespace

float q2_K_q8_K_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ2_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low2 = _mm256_set1_epi8(3);
  __m256 acc = _mm256_setzero_ps();
  float mins = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int msum = 0;
    for (int s = 0; s < 16; ++s) msum += (x[i].scales[s] >> 4) * y[i].bsums[s];
    __m256i isum = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i q = load256(x[i].qs + 32 * h);
      for (int quarter = 0; quarter < 4; ++quarter) {
        const int s = 8 * h + 2 * quarter;
        const __m256i qi = _mm256_and_si256(_mm256_srli_epi16(q, 2 * quarter), low2);
        const __m256i p = _mm256_maddubs_epi16(qi, load256(y[i].qs + 128 * h + 32 * quarter));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, pair_scales(x[i].scales[s] & 0xf, x[i].scales[s + 1] & 0xf)));
      }
    }
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[i].d * h2f(x[i].d)), acc);
    mins += y[i].d * h2f(x[i].dmin) * static_cast<float>(msum);
  }
  return hsum(acc) - mins;
}

float q3_K_q8_K_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ3_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low2 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const __m256i hmask = load256(x[i].hmask);
    __m256i isum = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i q = load256(x[i].qs + 32 * h);
      for (int quarter = 0; quarter < 4; ++quarter) {
        const int s = 8 * h + 2 * quarter;
        const __m256i lo = _mm256_and_si256(_mm256_srli_epi16(q, 2 * quarter), low2);
        // A clear high bit subtracts 4: value = lo - 4 * (1 - bit).
        const __m256i bit = _mm256_and_si256(_mm256_srli_epi16(hmask, 4 * h + quarter), one);
        const __m256i minus4 = _mm256_slli_epi16(_mm256_xor_si256(bit, one), 2);
        const __m256i av = load256(y[i].qs + 128 * h + 32 * quarter);
        const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(lo, av), _mm256_maddubs_epi16(minus4, av));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, pair_scales(q3_scale(x[i].scales, s), q3_scale(x[i].scales, s + 1))));
      }
    }
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[i].d * h2f(x[i].d)), acc);
  }
  return hsum(acc);
}

float q5_K_q8_K_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
  __m256 acc = _mm256_setzero_ps();
  float mins = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sc[8], m[8];
    for (int j = 0; j < 8; ++j) get_scale_min_k4(j, x[i].scales, sc[j], m[j]);
    int msum = 0;
    for (int j = 0; j < 8; ++j) msum += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    const __m256i qh = load256(x[i].qh);
    __m256i isum = _mm256_setzero_si256();
    for (int k = 0; k < 4; ++k) {
      const __m256i q = load256(x[i].qs + 32 * k);
      // qh[l] bit j is the fifth bit of sub-block j.
      const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), one), 4);
      const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k + 1), one), 4);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, low4), h0);
      const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), low4), h1);
      const __m256i plo = _mm256_maddubs_epi16(lo, load256(y[i].qs + 64 * k));
      const __m256i phi = _mm256_maddubs_epi16(hi, load256(y[i].qs + 64 * k + 32));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(plo, _mm256_set1_epi16(static_cast<int16_t>(sc[2 * k]))));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(phi, _mm256_set1_epi16(static_cast<int16_t>(sc[2 * k + 1]))));
    }
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[i].d * h2f(x[i].d)), acc);
    mins += y[i].d * h2f(x[i].dmin) * static_cast<float>(msum);
  }
  return hsum(acc) - mins;
}

float iq4_xs_q8_K_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockIQ4_XS*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4Values)));
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    __m256i isum = _mm256_setzero_si256();
    for (int ib = 0; ib < 8; ++ib) {
      const __m256i q = _mm256_shuffle_epi8(table, unpack_nibbles(x[i].qs + 16 * ib));
      const __m256i av = load256(y[i].qs + 32 * ib);
      // |q| <= 127 and |a| <= 127: pairs of products fit int16.
      const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(av, q));
      const int ls = iq4_xs_scale(x[i].scales_l, x[i].scales_h, ib);
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, _mm256_set1_epi16(static_cast<int16_t>(ls))));
    }
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[i].d * h2f(x[i].d)), acc);
  }
  return hsum(acc);
}

}  // namespace airlock::kernels
