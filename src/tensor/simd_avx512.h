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

}  // namespace airlock::kernels::avx512
