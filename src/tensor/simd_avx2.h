// AVX2 helpers for the kernel files compiled with AVX2/FMA/F16C flags (*_avx2*.cpp) only.
// static: each such file gets its own copy, so no AVX2 code can be shared into baseline objects.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace airlock::kernels::avx2 {

static inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

static inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Eight int32 partial sums of 32 signed int8 products (sign trick: |w| unsigned, a with w's sign).
static inline __m256i dot_i8(__m256i w, __m256i a) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// Eight int32 partial sums of 32 unsigned x signed int8 products.
static inline __m256i dot_u8_i8(__m256i u, __m256i a) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, a), _mm256_set1_epi16(1));
}

// The 32 quants of a 4-bit legacy block as unsigned bytes (elements 0-15 low nibbles, 16-31 high).
static inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m = _mm_set1_epi8(0x0f);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}

// 0x10 in byte j where bit j of the 32-bit mask is set (the fifth bit of Q5 quants).
static inline __m256i bits_to_0x10(uint32_t bits) {
  // Byte j takes mask byte j/8, then tests its bit j%8.
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                                             _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                                                0x0202020202020202, 0x0303030303030303));
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

}  // namespace airlock::kernels::avx2
