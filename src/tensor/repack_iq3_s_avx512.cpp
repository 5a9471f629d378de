// AVX-512 VNNI tile kernel for packed IQ3_S groups (layout in repack_iq3_s.h): per 4-element
// group one vpgatherdd fetches every row's four grid bytes, a masked subtraction applies the
// signs, and +16 makes them unsigned for vpdpbusd; each token's sub-block sum starts at
// -16 * its bsums and is scaled by the row's 2s + 1.
#include <immintrin.h>

#include <cstring>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_iq_grids.h"
#include "tensor/repack.h"
#include "tensor/repack_iq3_s.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

template <int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  const __m512i sixteen = _mm512_set1_epi8(16), bit8 = _mm512_set1_epi32(256), zero = _mm512_setzero_si512();
  const int* grid = reinterpret_cast<const int*>(kIQ3SGrid.data());
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kIQ3SBlockBytes + 1) * kIQ3SBlockBytes;
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += kIQ3SBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kIQ3SBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    const uint8_t* scales = group + 32;
    const uint8_t* low = scales + 128;
    const uint8_t* high = low + 1024;
    const uint8_t* signs = high + 128;
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    for (int p = 0; p < 8; ++p) {
      __m512i sub[NT];
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) sub[t] = _mm512_set1_epi32(-16 * (a[t]->bsums[2 * p] + a[t]->bsums[2 * p + 1]));
      #pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        const int g = 8 * p + k;
        uint16_t h;
        uint64_t s;
        std::memcpy(&h, high + 2 * g, 2);
        std::memcpy(&s, signs + 8 * g, 8);
        const __m512i idx = _mm512_or_si512(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low + 16 * g))),
                                            _mm512_maskz_mov_epi32(h, bit8));
        const __m512i mag = _mm512_i32gather_epi32(idx, grid, 4);
        const __m512i u = _mm512_add_epi8(_mm512_mask_sub_epi8(mag, s, zero, mag), sixteen);
        #pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) sub[t] = _mm512_dpbusd_epi32(sub[t], u, broadcast4(a[t]->qs + 4 * g));
      }
      const __m512i scale = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + 16 * p)));
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sub[t], scale));
    }
    const __m512 dw = _mm512_cvtph_ps(load256(group));
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dw, _mm512_set1_ps(a[t]->d)), acc[t]);
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

}  // namespace

void tile_iq3_s_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>, tile<7>, tile<8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
