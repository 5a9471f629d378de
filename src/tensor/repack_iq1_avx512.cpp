// AVX-512 VNNI tile kernels for packed IQ1_S and IQ1_M groups (layouts in repack_iq1.h): per
// 8-element group two gathers fetch every row's grid bytes (-1/0/+1), which become
// u = 8 * (grid + 1) + (delta + 1) for vpdpbusd; each token's sum over a scale's elements starts at
// -9 * their bsum, and is multiplied by the scale 2s + 1.
#include <immintrin.h>

#include <cstring>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_iq_grids.h"
#include "tensor/repack.h"
#include "tensor/repack_iq1.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

// delta + 1 in every byte of each row's lane: 0 where the row's bit in negative is set (delta -1),
// else 2.
inline __m512i delta_bytes(__mmask16 negative) {
  return _mm512_maskz_mov_epi32(static_cast<__mmask16>(~negative), _mm512_set1_epi32(0x02020202));
}

// One 8-element group: idx holds each row's 11-bit grid index; sub[t] += the dot products of
// every row's u with token t's eight activations q[t] .. q[t] + 7. Two 8-lane vpgatherdq fetch
// the rows' whole grid entries (half the elements of two 16-lane vpgatherdd, and gathers cost per
// element), and two permutes split them into the rows' low and high four bytes.
template <int NT>
[[gnu::always_inline]] inline void group8(__m512i idx, __m512i delta, const int8_t* const* q, __m512i* sub) {
  const __m512i one = _mm512_set1_epi8(1);
  const __m512i g_lo = _mm512_i32gather_epi64(_mm512_castsi512_si256(idx), kIQ1SGrid.data(), 8);
  const __m512i g_hi = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(idx, 1), kIQ1SGrid.data(), 8);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  #pragma GCC unroll 2
  for (int half = 0; half < 2; ++half) {
    const __m512i g = _mm512_permutex2var_epi32(g_lo, _mm512_add_epi32(even, _mm512_set1_epi32(half)), g_hi);
    // grid + 1 is 0..2, so the 16-bit shift keeps every byte's 8 * (grid + 1) in its byte.
    const __m512i u = _mm512_add_epi8(_mm512_slli_epi16(_mm512_add_epi8(g, one), 3), delta);
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) sub[t] = _mm512_dpbusd_epi32(sub[t], u, broadcast4(q[t] + 4 * half));
  }
}

inline __m512i low_index(const uint8_t* low, int g) {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low + 16 * g)));
}

template <int NT>
void tile_s(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  const __m512i seven = _mm512_set1_epi32(7), one = _mm512_set1_epi32(1);
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kIQ1SBlockBytes + 1) * kIQ1SBlockBytes;
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += kIQ1SBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kIQ1SBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    const uint8_t* low = group + 32;
    const uint8_t* qh = low + 512;
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    for (int ib = 0; ib < 8; ++ib) {  // 32 elements: one scale, one delta
      const __m512i words = _mm512_cvtepu16_epi32(load256(qh + 32 * ib));
      const __m512i delta = delta_bytes(_mm512_test_epi32_mask(words, _mm512_set1_epi32(0x8000)));
      __m512i sub[NT];
      const int8_t* q[NT];
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) sub[t] = _mm512_set1_epi32(-9 * (a[t]->bsums[2 * ib] + a[t]->bsums[2 * ib + 1]));
      #pragma GCC unroll 4
      for (int l = 0; l < 4; ++l) {
        const __m512i top = _mm512_and_si512(_mm512_srli_epi32(words, 3 * l), seven);
        #pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) q[t] = a[t]->qs + 32 * ib + 8 * l;
        group8<NT>(_mm512_or_si512(low_index(low, 4 * ib + l), _mm512_slli_epi32(top, 8)), delta, q, sub);
      }
      const __m512i s = _mm512_and_si512(_mm512_srli_epi32(words, 12), seven);
      const __m512i scale = _mm512_add_epi32(_mm512_add_epi32(s, s), one);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sub[t], scale));
    }
    const __m512 dw = _mm512_mul_ps(_mm512_cvtph_ps(load256(group)), _mm512_set1_ps(0.125f));
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dw, _mm512_set1_ps(a[t]->d)), acc[t]);
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

template <int NT>
void tile_m(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  const __m512i seven = _mm512_set1_epi32(7), eight = _mm512_set1_epi32(8), one = _mm512_set1_epi32(1);
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kIQ1MBlockBytes + 1) * kIQ1MBlockBytes;
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += kIQ1MBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kIQ1MBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    const uint8_t* low = group + 32;
    const uint8_t* high = low + 512;
    const uint8_t* scales = high + 256;
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    for (int p = 0; p < 16; ++p) {  // 16 elements: one scale, groups 2p and 2p + 1
      const __m512i nibbles = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(high + 16 * p)));
      __m512i sub[NT];
      const int8_t* q[NT];
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) sub[t] = _mm512_set1_epi32(-9 * a[t]->bsums[p]);
      #pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        const __m512i nibble = _mm512_srli_epi32(nibbles, 4 * h);
        const __m512i top = _mm512_and_si512(nibble, seven);
        #pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) q[t] = a[t]->qs + 16 * p + 8 * h;
        group8<NT>(_mm512_or_si512(low_index(low, 2 * p + h), _mm512_slli_epi32(top, 8)),
                   delta_bytes(_mm512_test_epi32_mask(nibble, eight)), q, sub);
      }
      const __m512i bits = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + 16 * (p / 2))));
      const __m512i s = _mm512_and_si512(p % 2 ? _mm512_srli_epi32(bits, 3) : bits, seven);
      const __m512i scale = _mm512_add_epi32(_mm512_add_epi32(s, s), one);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sub[t], scale));
    }
    const __m512 dw = _mm512_mul_ps(_mm512_cvtph_ps(load256(group)), _mm512_set1_ps(0.125f));
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dw, _mm512_set1_ps(a[t]->d)), acc[t]);
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

}  // namespace

void tile_iq1_s_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile_s<1>, tile_s<2>, tile_s<3>, tile_s<4>,
                                                        tile_s<5>, tile_s<6>, tile_s<7>, tile_s<8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

void tile_iq1_m_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile_m<1>, tile_m<2>, tile_m<3>, tile_m<4>,
                                                        tile_m<5>, tile_m<6>, tile_m<7>, tile_m<8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
