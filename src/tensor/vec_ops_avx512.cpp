// AVX-512 versions of vec_ops.h.
#include <immintrin.h>

#include <cmath>

#include "tensor/vec_ops.h"

namespace airlock::kernels {

namespace {

// exp(x) = 2^k * e^r with k = round(x / ln 2) and |r| <= ln 2 / 2: r from a two-part ln 2 (exact
// first product), e^r from its degree-6 Taylor polynomial (truncation error < 1e-8 relative),
// 2^k applied by scalef, which also handles k out of range (0 or inf) without integer overflow.
__m512 exp512(__m512 x) {
  const __m512 log2e = _mm512_set1_ps(1.44269504f);
  const __m512 ln2_hi = _mm512_set1_ps(0.693145752f), ln2_lo = _mm512_set1_ps(1.42860677e-6f);
  // Below -104 every result is 0 anyway, and r stays finite (-inf - -inf would be NaN); a NaN
  // input stays NaN (max returns its second operand when one is NaN).
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, ln2_hi, x);
  r = _mm512_fnmadd_ps(k, ln2_lo, r);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, k);
}

}  // namespace

float exp_shifted_sum_avx512(int64_t n, float* x, float shift) {
  const __m512 s = _mm512_set1_ps(shift);
  __m512 sum = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    _mm512_storeu_ps(x + i, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
    _mm512_mask_storeu_ps(x + i, m, e);
    sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(m, e));
  }
  return _mm512_reduce_add_ps(sum);
}

void silu_mul_avx512(int64_t n, const float* g, float* y) {
  const __m512 one = _mm512_set1_ps(1.0f);
  // exp(-g) overflows to inf for g below about -88.7, and g / inf is the -0 the scalar form gives.
  auto step = [&](__mmask16 m, int64_t i) {
    const __m512 x = _mm512_maskz_loadu_ps(m, g + i);
    const __m512 s = _mm512_div_ps(x, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), s));
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) step(static_cast<__mmask16>(0xffff), i);
  if (i < n) step(static_cast<__mmask16>((1u << (n - i)) - 1), i);
}

}  // namespace airlock::kernels
