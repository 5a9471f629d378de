// AVX-512 helpers for the kernel files compiled with AVX-512 flags (*_avx512*.cpp) only.
// static: each such file gets its own copy, so no AVX-512 code can be shared into baseline objects.
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace airlock::kernels::avx512 {

static inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
static inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }

// Four activation bytes in every 32-bit lane (one vpbroadcastd from memory).
static inline __m512i broadcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// In a packed tile, lane r of w0..w3 holds row r's unsigned weights for four groups of four of a
// sub-block's sixteen values; q is the token's sixteen int8 activations. Per lane: the dot product of
// row r's sixteen weights with q.
static inline __m512i dot16_lanes(__m512i w0, __m512i w1, __m512i w2, __m512i w3, const int8_t* q) {
  __m512i d = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w0, broadcast4(q));
  d = _mm512_dpbusd_epi32(d, w1, broadcast4(q + 4));
  d = _mm512_dpbusd_epi32(d, w2, broadcast4(q + 8));
  return _mm512_dpbusd_epi32(d, w3, broadcast4(q + 12));
}

}  // namespace airlock::kernels::avx512
