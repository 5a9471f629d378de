// AVX-512 VNNI tile kernels for packed TQ2_0 and TQ1_0 groups (layouts in repack_ternary.h). Both
// feed vpdpbusd q = value + 1 (0..2) for every row and take the +1 off as the sum of the token's
// bsums; there is one scale per row and block, so the sums of a block just add up
// (|sum| <= 3 * 127 * 256). Only how q comes out of the packed bytes differs:
// - TQ2_0: per 16-element sub-block one 64-byte load holds every row's 2-bit quants, and four
//   shift-and-masks spread them over four vpdpbusd operands.
// - TQ1_0: a byte b holds five base-3 digits as the fraction b / 256: with p = b * 3^n mod 256 (two
//   byte additions per step, wrapping), digit n is the integer part of 3p / 256, i.e.
//   (p >= 86) + (p >= 171). Each 64-byte vector yields up to five operands.
#include <immintrin.h>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_ternary.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

struct TQ2 {
  static constexpr size_t kBlockBytes = kTernaryBlockBytes;

  template <int NT>
  [[gnu::always_inline]] static inline void sums(const uint8_t* quants, const BlockQ8_K* const* a, __m512i* isum) {
    const __m512i three = _mm512_set1_epi8(3);
    #pragma GCC unroll 2
    for (int s = 0; s < 16; ++s) {
      const __m512i x = load512(quants + 64 * s);
      const __m512i w0 = _mm512_and_si512(x, three), w1 = _mm512_and_si512(_mm512_srli_epi16(x, 2), three);
      const __m512i w2 = _mm512_and_si512(_mm512_srli_epi16(x, 4), three), w3 = _mm512_and_si512(_mm512_srli_epi16(x, 6), three);
      // A fresh four-step chain per sub-block: with one token, one chain through the whole block
      // would wait on vpdpbusd's latency at every step.
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) isum[t] = _mm512_add_epi32(isum[t], dot16_lanes(w0, w1, w2, w3, a[t]->qs + 16 * s));
    }
  }
};

struct TQ1 {
  static constexpr size_t kBlockBytes = kTQ1BlockBytes;

  // The digits of the bytes of x, N of them, digit n meeting the activations at offset + stride * n.
  template <int NT, int N>
  [[gnu::always_inline]] static inline void digits(__m512i x, const BlockQ8_K* const* a, int offset, int stride,
                                                   __m512i* isum) {
    const __m512i one = _mm512_set1_epi8(1), two = _mm512_set1_epi8(2);
    const __m512i third = _mm512_set1_epi8(86), two_thirds = _mm512_set1_epi8(static_cast<char>(171));
    __m512i sub[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) sub[t] = _mm512_setzero_si512();
    __m512i p = x;
    #pragma GCC unroll 5
    for (int n = 0; n < N; ++n) {
      const __m512i q = _mm512_mask_mov_epi8(_mm512_maskz_mov_epi8(_mm512_cmpge_epu8_mask(p, third), one),
                                             _mm512_cmpge_epu8_mask(p, two_thirds), two);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) sub[t] = _mm512_dpbusd_epi32(sub[t], q, broadcast4(a[t]->qs + offset + stride * n));
      p = _mm512_add_epi8(p, _mm512_add_epi8(p, p));
    }
    // A short chain per vector, then one add: one chain through the block would wait on
    // vpdpbusd's latency at every step when there is one token.
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_add_epi32(isum[t], sub[t]);
  }

  template <int NT>
  [[gnu::always_inline]] static inline void sums(const uint8_t* qs, const BlockQ8_K* const* a, __m512i* isum) {
    for (int j = 0; j < 8; ++j) digits<NT, 5>(load512(qs + 64 * j), a, 4 * j, 32, isum);
    for (int j = 8; j < 12; ++j) digits<NT, 5>(load512(qs + 64 * j), a, 160 + 4 * (j - 8), 16, isum);
    digits<NT, 4>(load512(qs + 768), a, 240, 4, isum);
  }
};

template <int NT, class Format>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  constexpr size_t kBlockBytes = Format::kBlockBytes;
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kBlockBytes + 1) * kBlockBytes;
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += kBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    Format::template sums<NT>(group + 32, a, isum);
    const __m512 dw = _mm512_cvtph_ps(load256(group));
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      int bsum = 0;
      for (int s = 0; s < 16; ++s) bsum += a[t]->bsums[s];
      const __m512i total = _mm512_sub_epi32(isum[t], _mm512_set1_epi32(bsum));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total), _mm512_mul_ps(dw, _mm512_set1_ps(a[t]->d)), acc[t]);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

template <class Format>
constexpr TileKernel kTiles[kMaxTileTokens] = {tile<1, Format>, tile<2, Format>, tile<3, Format>, tile<4, Format>,
                                               tile<5, Format>, tile<6, Format>, tile<7, Format>, tile<8, Format>};

}  // namespace

void tile_ternary_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                         size_t out_stride) {
  run_tiles(kTiles<TQ2>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

void tile_tq1_0_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  run_tiles(kTiles<TQ1>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
