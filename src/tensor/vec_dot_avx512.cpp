// AVX-512 (F/BW/VL/VNNI) dot products: two legacy blocks or a 64-element K-quant slice per step,
// with VNNI dpbusd (unsigned x signed bytes -> int32) for the integer products.
#include <immintrin.h>

#include <type_traits>

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

float hsum128(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Q4_K: constants shared by all blocks (hoisted out of the loops).
struct Q4KConsts {
  __m512i low4 = _mm512_set1_epi8(0x0f);
  // Shifts 0 (low half) and 4 (high half): one shift of 32 bytes repeated in both halves yields
  // the low nibbles below and the high nibbles above.
  __m512i nibble_shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
  // pick[k]: int16 lanes 0-15 take scale 2k, lanes 16-31 scale 2k+1 (the two sub-blocks of a
  // 64-element slice after maddubs pairs its bytes).
  __m512i pick[4];
  // Q5_K: per-half shifts bringing qh bits 2k and 2k+1 down to bit 0.
  __m512i qh_shift[4];
  Q4KConsts() {
    for (int k = 0; k < 4; ++k) {
      pick[k] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(static_cast<int16_t>(2 * k))),
                                   _mm256_set1_epi16(static_cast<int16_t>(2 * k + 1)), 1);
      qh_shift[k] = pick[k];  // the same numbers: 2k in the low half, 2k+1 in the high half
    }
  }
};

struct Q4KScales {
  __m512i scales;  // int16 lanes 0-7: sub-block scales (the rest unused)
  __m128i mins;    // int16 x 8: sub-block mins
};

Q4KScales q4k_scales(const uint8_t* packed) {
  alignas(16) uint8_t sm[16];
  unpack_scale_min_k4(packed, sm);
  const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(sm));
  return {_mm512_castsi256_si512(_mm256_cvtepu8_epi16(v)), _mm_cvtepu8_epi16(_mm_srli_si128(v, 8))};
}

// 64 quants of sub-blocks 2k (low nibbles) and 2k+1 (high nibbles), in element order.
__m512i q4k_quants(const uint8_t* qs, const Q4KConsts& c) {
  const __m512i q = _mm512_broadcast_i64x4(load256(qs));
  return _mm512_and_si512(_mm512_srlv_epi16(q, c.nibble_shift), c.low4);
}

// mins[j] * (bsums[2j] + bsums[2j+1]) summed pairwise into four int32 lanes.
__m128i q4k_min_terms(const Q4KScales& s, const int16_t* bsums) {
  const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums));
  const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums + 8));
  return _mm_madd_epi16(s.mins, _mm_hadd_epi16(b0, b1));
}

// Q6_K's sixteen int8 sub-block scales as int16.
__m256i q6k_scales16(const int8_t* scales) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
}

// -32 * sum(scale[s] * bsums[s]) spread over the low eight int32 lanes: Q6_K quants are stored +32,
// and a block's integer sum can start from this instead of a scalar correction per block.
__m512i q6k_offset(__m256i scales16, const int16_t* bsums) {
  const __m256i sb = _mm256_madd_epi16(scales16, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsums)));
  return _mm512_zextsi256_si512(_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(sb, 5)));
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

namespace {

// Q4_K and Q5_K share scales, mins and nibble layout; Q5_K adds a fifth bit per quant from qh.
template <class Block>
__m512i k4_quants(const Block& b, int k, const Q4KConsts& c) {
  __m512i q = q4k_quants(b.qs + 32 * k, c);
  if constexpr (std::is_same_v<Block, BlockQ5_K>) {
    // qh[l] bit j is the fifth bit of sub-block j; sub-blocks 2k and 2k+1 sit in the two halves.
    const __m512i qh = _mm512_broadcast_i64x4(load256(b.qh));
    const __m512i bits = _mm512_and_si512(_mm512_srlv_epi16(qh, c.qh_shift[k]), _mm512_set1_epi8(1));
    q = _mm512_or_si512(q, _mm512_slli_epi16(bits, 4));
  }
  return q;
}

template <class Block>
float k4_dot(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const Block*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const Q4KConsts c;
  __m512 acc = _mm512_setzero_ps();
  __m128 acc_min = _mm_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const Q4KScales s = q4k_scales(x[i].scales);
    __m512i isum = _mm512_setzero_si512();
    for (int k = 0; k < 4; ++k) {
      const __m512i p = _mm512_maddubs_epi16(k4_quants(x[i], k, c), load512(y[i].qs + 64 * k));
      isum = _mm512_dpwssd_epi32(isum, p, _mm512_permutexvar_epi16(c.pick[k], s.scales));
    }
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(y[i].d * h2f(x[i].d)), acc);
    acc_min = _mm_fmadd_ps(_mm_cvtepi32_ps(q4k_min_terms(s, y[i].bsums)), _mm_set1_ps(y[i].d * h2f(x[i].dmin)), acc_min);
  }
  return _mm512_reduce_add_ps(acc) - hsum128(acc_min);
}

}  // namespace

float q4_K_q8_K_avx512(int64_t n, const void* w, const void* a) { return k4_dot<BlockQ4_K>(n, w, a); }
float q5_K_q8_K_avx512(int64_t n, const void* w, const void* a) { return k4_dot<BlockQ5_K>(n, w, a); }

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
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    // Quants are stored +32: the sum starts at -32 * sum(scale * sum(a)) (from bsums).
    __m512i isum = q6k_offset(q6k_scales16(x[i].scales), y[i].bsums);
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
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(y[i].d * h2f(x[i].d)), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

}  // namespace airlock::kernels

// ---- Multi-token kernels: one weight row against up to kMaxMultiDot activation rows ---------------------

namespace airlock::kernels {

namespace {

template <class Block>
const Block* act_row(const void* a, size_t stride, int t) {
  return reinterpret_cast<const Block*>(static_cast<const uint8_t*>(a) + stride * static_cast<size_t>(t));
}

template <int N>
void q4_0_multi(int64_t n, const void* w, const void* a, size_t stride, float* out) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y[N];
  for (int t = 0; t < N; ++t) y[t] = act_row<BlockQ8_0>(a, stride, t);
  const int64_t nb = n / kQK;
  const __m512i eight = _mm512_set1_epi8(8), zero = _mm512_setzero_si512();
  __m512 acc[N];
  for (int t = 0; t < N; ++t) acc[t] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m512i q = join(nibbles(x[i].qs), nibbles(x[i + 1].qs));
    const float d0 = h2f(x[i].d), d1 = h2f(x[i + 1].d);
    for (int t = 0; t < N; ++t) {
      const __m512i av = join(load256(y[t][i].qs), load256(y[t][i + 1].qs));
      const __m512i p = _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, q, av), _mm512_dpbusd_epi32(zero, eight, av));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), split_ps(d0 * h2f(y[t][i].d), d1 * h2f(y[t][i + 1].d)), acc[t]);
    }
  }
  for (int t = 0; t < N; ++t) {
    out[t] = _mm512_reduce_add_ps(acc[t]);
    if (i < nb) out[t] += q4_0_q8_0_avx512(kQK * (nb - i), x + i, y[t] + i);
  }
}

template <int N>
void q8_0_multi(int64_t n, const void* w, const void* a, size_t stride, float* out) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y[N];
  for (int t = 0; t < N; ++t) y[t] = act_row<BlockQ8_0>(a, stride, t);
  const int64_t nb = n / kQK;
  const __m512i zero = _mm512_setzero_si512();
  __m512 acc[N];
  for (int t = 0; t < N; ++t) acc[t] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m512i wv = join(load256(x[i].qs), load256(x[i + 1].qs));
    const __m512i wabs = _mm512_abs_epi8(wv);
    const __mmask64 neg = _mm512_movepi8_mask(wv);
    const float d0 = h2f(x[i].d), d1 = h2f(x[i + 1].d);
    for (int t = 0; t < N; ++t) {
      const __m512i av = join(load256(y[t][i].qs), load256(y[t][i + 1].qs));
      const __m512i p = _mm512_dpbusd_epi32(zero, wabs, _mm512_mask_sub_epi8(av, neg, zero, av));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), split_ps(d0 * h2f(y[t][i].d), d1 * h2f(y[t][i + 1].d)), acc[t]);
    }
  }
  for (int t = 0; t < N; ++t) {
    out[t] = _mm512_reduce_add_ps(acc[t]);
    if (i < nb) out[t] += q8_0_q8_0_avx512(kQK * (nb - i), x + i, y[t] + i);
  }
}

template <class Block, int N>
void k4_multi(int64_t n, const void* w, const void* a, size_t stride, float* out) {
  const auto* x = static_cast<const Block*>(w);
  const BlockQ8_K* y[N];
  for (int t = 0; t < N; ++t) y[t] = act_row<BlockQ8_K>(a, stride, t);
  const Q4KConsts c;
  __m512 acc[N];
  __m128 acc_min[N];
  for (int t = 0; t < N; ++t) {
    acc[t] = _mm512_setzero_ps();
    acc_min[t] = _mm_setzero_ps();
  }
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const Q4KScales s = q4k_scales(x[i].scales);
    __m512i isum[N];
    for (int t = 0; t < N; ++t) isum[t] = _mm512_setzero_si512();
    for (int k = 0; k < 4; ++k) {
      const __m512i q = k4_quants(x[i], k, c);
      const __m512i scales = _mm512_permutexvar_epi16(c.pick[k], s.scales);
      for (int t = 0; t < N; ++t)
        isum[t] = _mm512_dpwssd_epi32(isum[t], _mm512_maddubs_epi16(q, load512(y[t][i].qs + 64 * k)), scales);
    }
    const float d = h2f(x[i].d), dmin = h2f(x[i].dmin);
    for (int t = 0; t < N; ++t) {
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_set1_ps(y[t][i].d * d), acc[t]);
      acc_min[t] = _mm_fmadd_ps(_mm_cvtepi32_ps(q4k_min_terms(s, y[t][i].bsums)), _mm_set1_ps(y[t][i].d * dmin), acc_min[t]);
    }
  }
  for (int t = 0; t < N; ++t) out[t] = _mm512_reduce_add_ps(acc[t]) - hsum128(acc_min[t]);
}

template <int N>
void q6_K_multi(int64_t n, const void* w, const void* a, size_t stride, float* out) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y[N];
  for (int t = 0; t < N; ++t) y[t] = act_row<BlockQ8_K>(a, stride, t);
  const __m512i low4 = _mm512_set1_epi8(0x0f), low2 = _mm512_set1_epi8(0x03);
  const __m512i shift01 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
  const __m512i shift23 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
  const __m128i spread_lo = _mm_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  const __m128i spread_hi = _mm_add_epi8(spread_lo, _mm_set1_epi8(4));
  __m512 acc[N];
  for (int t = 0; t < N; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const __m256i sc16 = q6k_scales16(x[i].scales);
    __m512i isum[N];
    for (int t = 0; t < N; ++t) isum[t] = q6k_offset(sc16, y[t][i].bsums);
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = load512(x[i].ql + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(load256(x[i].qh + 32 * h));
      const __m512i q01 = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                          _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift01), low2), 4));
      const __m512i q23 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                          _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift23), low2), 4));
      const __m128i sc8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x[i].scales + 8 * h));
      const __m512i s01 = _mm512_cvtepi8_epi32(_mm_shuffle_epi8(sc8, spread_lo));
      const __m512i s23 = _mm512_cvtepi8_epi32(_mm_shuffle_epi8(sc8, spread_hi));
      for (int t = 0; t < N; ++t) {
        const __m512i p01 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q01, load512(y[t][i].qs + 128 * h));
        const __m512i p23 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q23, load512(y[t][i].qs + 128 * h + 64));
        isum[t] = _mm512_add_epi32(isum[t], _mm512_add_epi32(_mm512_mullo_epi32(p01, s01), _mm512_mullo_epi32(p23, s23)));
      }
    }
    const float d = h2f(x[i].d);
    for (int t = 0; t < N; ++t) acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_set1_ps(y[t][i].d * d), acc[t]);
  }
  for (int t = 0; t < N; ++t) out[t] = _mm512_reduce_add_ps(acc[t]);
}

// Picks the instantiation for count (1..kMaxMultiDot).
template <template <int> class K>
void dispatch(int count, int64_t n, const void* w, const void* a, size_t stride, float* out) {
  switch (count) {
    case 1: K<1>::run(n, w, a, stride, out); break;
    case 2: K<2>::run(n, w, a, stride, out); break;
    case 3: K<3>::run(n, w, a, stride, out); break;
    case 4: K<4>::run(n, w, a, stride, out); break;
    case 5: K<5>::run(n, w, a, stride, out); break;
    case 6: K<6>::run(n, w, a, stride, out); break;
    case 7: K<7>::run(n, w, a, stride, out); break;
    default: K<8>::run(n, w, a, stride, out); break;
  }
}

template <int N> struct Q4_0Multi { static void run(int64_t n, const void* w, const void* a, size_t s, float* o) { q4_0_multi<N>(n, w, a, s, o); } };
template <int N> struct Q8_0Multi { static void run(int64_t n, const void* w, const void* a, size_t s, float* o) { q8_0_multi<N>(n, w, a, s, o); } };
template <int N> struct Q4_KMulti { static void run(int64_t n, const void* w, const void* a, size_t s, float* o) { k4_multi<BlockQ4_K, N>(n, w, a, s, o); } };
template <int N> struct Q5_KMulti { static void run(int64_t n, const void* w, const void* a, size_t s, float* o) { k4_multi<BlockQ5_K, N>(n, w, a, s, o); } };
template <int N> struct Q6_KMulti { static void run(int64_t n, const void* w, const void* a, size_t s, float* o) { q6_K_multi<N>(n, w, a, s, o); } };

}  // namespace

void q4_0_q8_0_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out) {
  dispatch<Q4_0Multi>(count, n, w, a, a_stride, out);
}
void q8_0_q8_0_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out) {
  dispatch<Q8_0Multi>(count, n, w, a, a_stride, out);
}
void q4_K_q8_K_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out) {
  dispatch<Q4_KMulti>(count, n, w, a, a_stride, out);
}
void q5_K_q8_K_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out) {
  dispatch<Q5_KMulti>(count, n, w, a, a_stride, out);
}
void q6_K_q8_K_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out) {
  dispatch<Q6_KMulti>(count, n, w, a, a_stride, out);
}

}  // namespace airlock::kernels
