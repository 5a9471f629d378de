// AVX-512 VNNI tile kernel for packed IQ2_XS groups (layout in repack_iq2_xs.h): per 8-element
// group two vpgatherdd fetch every row's grid bytes (the entry's low and high four), masked
// subtractions apply the signs, and +64 makes them unsigned for vpdpbusd; each token's
// 16-element sum starts at -64 * its bsum and is scaled by the row's 2s + 1.
#include <immintrin.h>

#include <cstring>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_iq_grids.h"
#include "tensor/repack.h"
#include "tensor/repack_iq2_xs.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

template <int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  const __m512i sixty_four = _mm512_set1_epi8(64), zero = _mm512_setzero_si512(), bit8 = _mm512_set1_epi32(256);
  const auto* grid = reinterpret_cast<const uint8_t*>(kIQ2XSGrid.data());
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kIQ2XSBlockBytes + 1) * kIQ2XSBlockBytes;
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += kIQ2XSBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kIQ2XSBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    const uint8_t* scales = group + 32;
    const uint8_t* low = scales + 128;
    const uint8_t* high = low + 512;
    const uint8_t* signs = high + 64;
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    for (int s = 0; s < 16; ++s) {  // 16-element sub-block s: groups 2s and 2s + 1
      __m512i sub[NT];
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) sub[t] = _mm512_set1_epi32(-64 * a[t]->bsums[s]);
      #pragma GCC unroll 2
      for (int q = 0; q < 2; ++q) {
        const int g = 2 * s + q;
        uint16_t h;
        std::memcpy(&h, high + 2 * g, 2);
        const __m512i idx = _mm512_or_si512(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low + 16 * g))),
                                            _mm512_maskz_mov_epi32(h, bit8));
        #pragma GCC unroll 2
        for (int half = 0; half < 2; ++half) {
          uint64_t m;
          std::memcpy(&m, signs + 16 * g + 8 * half, 8);
          const __m512i mag = _mm512_i32gather_epi32(idx, grid + 4 * half, 8);
          const __m512i u = _mm512_add_epi8(_mm512_mask_sub_epi8(mag, m, zero, mag), sixty_four);
          #pragma GCC unroll 8
          for (int t = 0; t < NT; ++t) sub[t] = _mm512_dpbusd_epi32(sub[t], u, broadcast4(a[t]->qs + 8 * g + 4 * half));
        }
      }
      const __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + 16 * (s / 2))));
      const __m512i nibble = s % 2 ? _mm512_srli_epi32(bytes, 4) : _mm512_and_si512(bytes, _mm512_set1_epi32(0xf));
      const __m512i scale = _mm512_add_epi32(_mm512_add_epi32(nibble, nibble), _mm512_set1_epi32(1));
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sub[t], scale));
    }
    // d / 8: the format's scale is (s + 1/2) / 4 = (2s + 1) / 8.
    const __m512 dw = _mm512_mul_ps(_mm512_cvtph_ps(load256(group)), _mm512_set1_ps(0.125f));
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dw, _mm512_set1_ps(a[t]->d)), acc[t]);
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

}  // namespace

void tile_iq2_xs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                        size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>, tile<7>, tile<8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
