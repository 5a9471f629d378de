// AVX-512 VNNI tile kernel for packed ternary groups (layout in repack_ternary.h): per 16-element
// sub-block one 64-byte load holds every row's quants, four shift-and-masks spread them over four
// vpdpbusd operands. There is one scale per row and block, so the sub-block sums just add up
// (|sum| <= 3 * 127 * 256); the quants' +1 comes off as the sum of the token's bsums.
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

template <int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  const __m512i three = _mm512_set1_epi8(3);
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kTernaryBlockBytes + 1) * kTernaryBlockBytes;
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += kTernaryBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kTernaryBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    const uint8_t* quants = group + 32;
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

}  // namespace

void tile_ternary_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                         size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>, tile<7>, tile<8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
