// AVX2 versions of the activation quantizers (Q8_0, Q8_1, Q8_K). They produce exactly the blocks the
// reference quantizers produce (same products, same rounding), only faster; matmul runs them on
// every call, so they matter for prompt processing.
#include <immintrin.h>

#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"
#include "tensor/simd_avx2.h"

namespace airlock::quant {

using namespace airlock::kernels::avx2;

namespace {

// A function, not a global: a namespace-scope __m256 would be initialised with AVX instructions at
// program start, before any CPU check.
__m256 abs_mask() { return _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)); }

float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// Four vectors of 8 int32 (values in int8 range) to 32 int8 in order.
void store_i8(int8_t* dst, __m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
  const __m256i abcd = _mm256_packs_epi16(ab, cd);  // lane-interleaved groups of 4
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst),
                      _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

// roundf(): to nearest, ties away from zero (x - trunc(x) is exact, so the tie test is too).
__m256 round_away(__m256 v) {
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 frac = _mm256_and_ps(_mm256_sub_ps(v, t), abs_mask());
  const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_andnot_ps(abs_mask(), v));  // +-1 with v's sign
  return _mm256_add_ps(t, _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), one));
}

// One 32-value block as Q8_0 rounds it: d = max|x| / 127 and the four vectors of x / d rounded
// away from zero (as int32), ready to narrow to int8.
float round_q8_block(const float* x, __m256i q[4]) {
  __m256 v[4];
  __m256 amax = _mm256_setzero_ps();
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm256_loadu_ps(x + 8 * k);
    amax = _mm256_max_ps(amax, _mm256_and_ps(v[k], abs_mask()));
  }
  const float d = hmax(amax) / 127;
  const float id = d ? 1.0f / d : 0.0f;
  for (int k = 0; k < 4; ++k) q[k] = _mm256_cvtps_epi32(round_away(_mm256_mul_ps(v[k], _mm256_set1_ps(id))));
  return d;
}

}  // namespace

void quantize_q8_0_avx2(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    __m256i q[4];
    const float d = round_q8_block(x, q);
    b[i].d = static_cast<uint16_t>(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
    store_i8(b[i].qs, q[0], q[1], q[2], q[3]);
  }
}

// Q8_0's blocks plus s = d * sum(qs), the unrounded d times the integer sum, as the reference.
void quantize_q8_1_avx2(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    __m256i q[4];
    const float d = round_q8_block(x, q);
    b[i].d = static_cast<uint16_t>(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
    const int sum = hsum_i32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
    b[i].s = static_cast<uint16_t>(_cvtss_sh(static_cast<float>(sum) * d, _MM_FROUND_TO_NEAREST_INT));
    store_i8(b[i].qs, q[0], q[1], q[2], q[3]);
  }
}

void quantize_q8_K_avx2(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    __m256 amaxv = _mm256_setzero_ps();
    for (int k = 0; k < kQK_K; k += 8) amaxv = _mm256_max_ps(amaxv, _mm256_and_ps(_mm256_loadu_ps(x + k), abs_mask()));
    const float amax = hmax(amaxv);
    if (!amax) {
      b[i] = BlockQ8_K{};
      continue;
    }
    // The reference keeps the sign of the first element of largest magnitude.
    float max = 0;
    for (int k = 0; k < kQK_K; k += 8) {
      const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_and_ps(_mm256_loadu_ps(x + k), abs_mask()),
                                                       _mm256_set1_ps(amax), _CMP_EQ_OQ));
      if (hit) {
        max = x[k + __builtin_ctz(static_cast<unsigned>(hit))];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m256 vs = _mm256_set1_ps(iscale);
    const __m256i limit = _mm256_set1_epi32(127);
    for (int g = 0; g < kQK_K / 32; ++g) {
      __m256i q[4];
      for (int k = 0; k < 4; ++k) {
        const __m256 r = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * g + 8 * k), vs),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q[k] = _mm256_min_epi32(_mm256_cvtps_epi32(r), limit);
      }
      b[i].bsums[2 * g] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q[0], q[1])));
      b[i].bsums[2 * g + 1] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q[2], q[3])));
      store_i8(b[i].qs + 32 * g, q[0], q[1], q[2], q[3]);
    }
    b[i].d = 1 / iscale;
  }
}

}  // namespace airlock::quant
