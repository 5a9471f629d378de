// F16C row conversion (compiled with the AVX2 path's flags; fp16.cpp calls it only when that path
// is active). Exact, like the scalar conversion: every half is a float.
#include <immintrin.h>

#include <cstring>

#include "tensor/fp16.h"

namespace airlock::fp16 {

void f16_to_f32_row_avx2(const void* src, float* dst, int64_t n) {
  const auto* s = static_cast<const uint16_t*>(src);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
  for (; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, s + i, 2);
    dst[i] = half_to_float(h);
  }
}

}  // namespace airlock::fp16
