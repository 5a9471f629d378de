// AVX-512 (F/BW/VL/VNNI) dot products: two legacy blocks or a 64-element K-quant slice per step,
// with VNNI dpbusd (unsigned x signed bytes -> int32) for the integer products.
#include <immintrin.h>

#include "tensor/quant_blocks.h"
#include "tensor/quant_k_scales.h"
#include "tensor/vec_dot.h"

namespace airlock::kernels {

using namespace airlock::quant;

namespace {

float h2f(uint16_t h) { return _cvtsh_ss(h); }

__m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
__m512i load512(const void* p) { return _mm512_loadu_si512(p); }
__m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }

// Signed x signed bytes with dpbusd: |w| (unsigned) times a negated where w < 0.
__m512i dot_i8(__m512i w, __m512i a) {
  const __m512i sa = _mm512_mask_sub_epi8(a, _mm512_movepi8_mask(w), _mm512_setzero_si512(), a);
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(w), sa);
}
__m256i dot_i8(__m256i w, __m256i a) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
}

// Lanes 0-7 get lo, lanes 8-15 get hi (one scale per legacy block / K sub-block).
__m512 split_ps(float lo, float hi) { return _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(lo), _mm512_set1_ps(hi)); }

float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__m256i nibbles(const uint8_t* qs) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m = _mm_set1_epi8(0x0f);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}

}  // namespace

float f32_f32_avx512(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), acc1);
  }
  float s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
  for (; i < n; ++i) s += x[i] * y[i];
  return s;
}

float f16_f32_avx512(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const float*>(a);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_cvtph_ps(load256(x + i)), _mm512_loadu_ps(y + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_cvtph_ps(load256(x + i + 16)), _mm512_loadu_ps(y + i + 16), acc1);
  }
  float s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
  for (; i < n; ++i) s += h2f(x[i]) * y[i];
  return s;
}

float q8_0_q8_0_avx512(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  const int64_t nb = n / kQK;
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m512i p = dot_i8(join(load256(x[i].qs), load256(x[i + 1].qs)), join(load256(y[i].qs), load256(y[i + 1].qs)));
    const __m512 d = split_ps(h2f(x[i].d) * h2f(y[i].d), h2f(x[i + 1].d) * h2f(y[i + 1].d));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), d, acc);
  }
  float s = _mm512_reduce_add_ps(acc);
  for (; i < nb; ++i) {
    const __m256i p = dot_i8(load256(x[i].qs), load256(y[i].qs));
    s += h2f(x[i].d) * h2f(y[i].d) * hsum256(_mm256_cvtepi32_ps(p));
  }
  return s;
}

float q4_0_q8_0_avx512(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  const int64_t nb = n / kQK;
  // sum((q-8)*a) = sum(q*a) - sum(8*a): both are unsigned x signed, so dpbusd does them directly.
  const __m512i eight = _mm512_set1_epi8(8);
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m512i q = join(nibbles(x[i].qs), nibbles(x[i + 1].qs));
    const __m512i av = join(load256(y[i].qs), load256(y[i + 1].qs));
    const __m512i zero = _mm512_setzero_si512();
    const __m512i p = _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, q, av), _mm512_dpbusd_epi32(zero, eight, av));
    const __m512 d = split_ps(h2f(x[i].d) * h2f(y[i].d), h2f(x[i + 1].d) * h2f(y[i + 1].d));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), d, acc);
  }
  float s = _mm512_reduce_add_ps(acc);
  for (; i < nb; ++i) {
    const __m256i q = _mm256_sub_epi8(nibbles(x[i].qs), _mm256_set1_epi8(8));
    s += h2f(x[i].d) * h2f(y[i].d) * hsum256(_mm256_cvtepi32_ps(dot_i8(q, load256(y[i].qs))));
  }
  return s;
}

float q4_K_q8_K_avx512(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m512 acc = _mm512_setzero_ps();
  float mins = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sc[8], m[8];
    for (int j = 0; j < 8; ++j) get_scale_min_k4(j, x[i].scales, sc[j], m[j]);
    int msum = 0;
    for (int j = 0; j < 8; ++j) msum += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    __m512i isum = _mm512_setzero_si512();
    for (int k = 0; k < 4; ++k) {
      // Elements 64k..64k+63: sub-block 2k in the low nibbles, 2k+1 in the high nibbles.
      const __m256i q = load256(x[i].qs + 32 * k);
      const __m512i qq = join(_mm256_and_si256(q, low4), _mm256_and_si256(_mm256_srli_epi16(q, 4), low4));
      const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), qq, load512(y[i].qs + 64 * k));
      const __m512i scales = _mm512_mask_blend_epi32(0xff00, _mm512_set1_epi32(sc[2 * k]), _mm512_set1_epi32(sc[2 * k + 1]));
      isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(p, scales));
    }
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(y[i].d * h2f(x[i].d)), acc);
    mins += y[i].d * h2f(x[i].dmin) * static_cast<float>(msum);
  }
  return _mm512_reduce_add_ps(acc) - mins;
}

float q6_K_q8_K_avx512(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m512i low4 = _mm512_set1_epi8(0x0f), low2 = _mm512_set1_epi8(0x03);
  // qh byte l holds the top bits of quarters 0-3 at bits 0,2,4,6; with qh repeated in both halves
  // of a register, these per-half shifts line the bits up for quarters (0,1) and (2,3).
  const __m512i shift01 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
  const __m512i shift23 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
  // dpbusd lane L covers elements 4L..4L+3 of a 64-element slice: sub-block L/4.
  const __m128i spread_lo = _mm_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  const __m128i spread_hi = _mm_add_epi8(spread_lo, _mm_set1_epi8(4));
  __m512 acc = _mm512_setzero_ps();
  float offset = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int corr = 0;  // quants are stored +32: subtract 32 * sum(scale * sum(a)) using bsums
    for (int s = 0; s < 16; ++s) corr += x[i].scales[s] * y[i].bsums[s];
    __m512i isum = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = load512(x[i].ql + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(load256(x[i].qh + 32 * h));
      const __m512i q01 = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                          _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift01), low2), 4));
      const __m512i q23 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                          _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift23), low2), 4));
      const __m512i p01 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q01, load512(y[i].qs + 128 * h));
      const __m512i p23 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q23, load512(y[i].qs + 128 * h + 64));
      const __m128i sc8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x[i].scales + 8 * h));
      isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(p01, _mm512_cvtepi8_epi32(_mm_shuffle_epi8(sc8, spread_lo))));
      isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(p23, _mm512_cvtepi8_epi32(_mm_shuffle_epi8(sc8, spread_hi))));
    }
    const float d = y[i].d * h2f(x[i].d);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d), acc);
    offset += d * static_cast<float>(32 * corr);
  }
  return _mm512_reduce_add_ps(acc) - offset;
}

}  // namespace airlock::kernels
