// AVX-512 VNNI tile kernel for packed Q2_K groups (layout in repack_q2_K.h): 16 rows in the lanes,
// activation slices broadcast, vpdpbusd per 4-element group. The two 16-element sums of a
// sub-block pair (each |sum| <= 3 * 16 * 128, so an int16) are joined into one int16 pair per
// lane and scaled by one vpdpwssd with the pair's scales; the minimums meet the bsums the same way.
#include <immintrin.h>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_q2_K.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

template <int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  const __m512i three = _mm512_set1_epi8(3), low4 = _mm512_set1_epi16(0x0f);
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kQ2KBlockBytes + 1) * kQ2KBlockBytes;
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += kQ2KBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kQ2KBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    __m512i isum[NT], imin[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = imin[t] = _mm512_setzero_si512();
    const uint8_t* quants = group + 64 + 256;
    for (int p = 0; p < 8; ++p) {
      // Lane r: row r's scale bytes of sub-blocks 2p and 2p+1 as an int16 pair.
      const __m512i bytes = _mm512_cvtepu8_epi16(load256(group + 64 + 32 * p));
      const __m512i scales = _mm512_and_si512(bytes, low4), mins = _mm512_srli_epi16(bytes, 4);
      __m512i w0[4], w1[4];
      const __m512i x0 = load512(quants + 64 * (2 * p)), x1 = load512(quants + 64 * (2 * p + 1));
      #pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        w0[g] = _mm512_and_si512(_mm512_srli_epi16(x0, 2 * g), three);
        w1[g] = _mm512_and_si512(_mm512_srli_epi16(x1, 2 * g), three);
      }
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        imin[t] = _mm512_dpwssd_epi32(imin[t], mins, broadcast4(a[t]->bsums + 2 * p));
        const __m512i d0 = dot16_lanes(w0[0], w0[1], w0[2], w0[3], a[t]->qs + 32 * p);
        const __m512i d1 = dot16_lanes(w1[0], w1[1], w1[2], w1[3], a[t]->qs + 32 * p + 16);
        const __m512i pair = _mm512_mask_blend_epi16(0xaaaaaaaa, d0, _mm512_slli_epi32(d1, 16));
        isum[t] = _mm512_dpwssd_epi32(isum[t], pair, scales);
      }
    }
    const __m512 dw = _mm512_cvtph_ps(load256(group)), mw = _mm512_cvtph_ps(load256(group + 32));
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      const __m512 da = _mm512_set1_ps(a[t]->d);
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dw, da), acc[t]);
      acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(imin[t]), _mm512_mul_ps(mw, da), acc[t]);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

}  // namespace

void tile_q2_K_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>, tile<7>, tile<8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
