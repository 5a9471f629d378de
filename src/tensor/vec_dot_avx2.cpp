// AVX2 + FMA + F16C dot products (compiled with those flags; called only when the CPU has them).
// Integer products use the sign trick: |w| (unsigned) times a with w's sign, via maddubs.
#include <immintrin.h>

#include "tensor/quant_blocks.h"
#include "tensor/quant_k_scales.h"
#include "tensor/simd_avx2.h"
#include "tensor/vec_dot.h"

namespace airlock::kernels {

using namespace airlock::quant;

using namespace avx2;

float f32_f32_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), acc1);
  }
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += x[i] * y[i];
  return s;
}

float f16_f32_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const float*>(a);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i + 8)));
    acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(y + i), acc0);
    acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(y + i + 8), acc1);
  }
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += h2f(x[i]) * y[i];
  return s;
}

float q8_0_q8_0_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i p = dot_i8(load256(x[i].qs), load256(y[i].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), acc);
  }
  return hsum(acc);
}

float q4_0_q8_0_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  const __m256i eight = _mm256_set1_epi8(8);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i q = _mm256_sub_epi8(unpack_nibbles(x[i].qs), eight);
    const __m256i p = dot_i8(q, load256(y[i].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), acc);
  }
  return hsum(acc);
}

float q4_K_q8_K_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256 acc = _mm256_setzero_ps();
  float mins = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sc[8], m[8];
    for (int j = 0; j < 8; ++j) get_scale_min_k4(j, x[i].scales, sc[j], m[j]);
    int msum = 0;
    for (int j = 0; j < 8; ++j) msum += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    __m256i isum = _mm256_setzero_si256();
    for (int k = 0; k < 4; ++k) {
      // 32 bytes hold sub-block 2k in the low nibbles and 2k+1 in the high nibbles.
      const __m256i q = load256(x[i].qs + 32 * k);
      const __m256i lo = _mm256_and_si256(q, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
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

float q6_K_q8_K_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0f), low2 = _mm256_set1_epi8(0x03);
  __m256 acc = _mm256_setzero_ps();
  float offset = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    // The quants are stored +32: sum((q-32)*a) = sum(q*a) - 32*sum(a), sum(a) from bsums.
    int corr = 0;
    for (int s = 0; s < 16; ++s) corr += x[i].scales[s] * y[i].bsums[s];
    __m256i isum = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load256(x[i].ql + 64 * h), ql1 = load256(x[i].ql + 64 * h + 32);
      const __m256i qh = load256(x[i].qh + 32 * h);
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_slli_epi16(_mm256_and_si256(qh, low2), 4)),
          _mm256_or_si256(_mm256_and_si256(ql1, low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), low2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), low2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), low2), 4)),
      };
      for (int quarter = 0; quarter < 4; ++quarter) {
        const int s = 8 * h + 2 * quarter;  // scales of the two 16-element halves of this quarter
        const __m256i p = _mm256_maddubs_epi16(q[quarter], load256(y[i].qs + 128 * h + 32 * quarter));
        const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(x[i].scales[s + 1]), _mm_set1_epi16(x[i].scales[s]));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, scales));
      }
    }
    const float d = y[i].d * h2f(x[i].d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(d), acc);
    offset += d * static_cast<float>(32 * corr);
  }
  return hsum(acc) - offset;
}

}  // namespace airlock::kernels
