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

// 64 columns (four registers) at a time stay in registers across all rows; the fused multiply-adds
// run in the same order as a row-by-row y += w * x, so the results are the same bits.
void weighted_rows_avx512(int64_t n, int64_t rows, const float* w, const float* x, int64_t stride, float* y) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512 a0 = _mm512_loadu_ps(y + i), a1 = _mm512_loadu_ps(y + i + 16);
    __m512 a2 = _mm512_loadu_ps(y + i + 32), a3 = _mm512_loadu_ps(y + i + 48);
    for (int64_t r = 0; r < rows; ++r) {
      const __m512 vw = _mm512_set1_ps(w[r]);
      const float* xr = x + r * stride + i;
      a0 = _mm512_fmadd_ps(vw, _mm512_loadu_ps(xr), a0);
      a1 = _mm512_fmadd_ps(vw, _mm512_loadu_ps(xr + 16), a1);
      a2 = _mm512_fmadd_ps(vw, _mm512_loadu_ps(xr + 32), a2);
      a3 = _mm512_fmadd_ps(vw, _mm512_loadu_ps(xr + 48), a3);
    }
    _mm512_storeu_ps(y + i, a0);
    _mm512_storeu_ps(y + i + 16, a1);
    _mm512_storeu_ps(y + i + 32, a2);
    _mm512_storeu_ps(y + i + 48, a3);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
    __m512 a = _mm512_maskz_loadu_ps(m, y + i);
    for (int64_t r = 0; r < rows; ++r)
      a = _mm512_fmadd_ps(_mm512_set1_ps(w[r]), _mm512_maskz_loadu_ps(m, x + r * stride + i), a);
    _mm512_mask_storeu_ps(y + i, m, a);
  }
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
