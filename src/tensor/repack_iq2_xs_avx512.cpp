// AVX-512 VNNI tile kernel for packed IQ2_XS groups (layout in repack_iq2_xs.h): per 8-element
// group every row's grid entry is loaded and the sixteen entries are split into their first and
// last four bytes (two vpermt2d), masked subtractions apply the signs, and +64 makes them unsigned
// for vpdpbusd; each token's 16-element sum starts at -64 * its bsum and is scaled by the row's
// 2s + 1.
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

// Each row's 9-bit grid index of every 8-element group of one block, as uint16 idx[g][r].
void block_indices(const uint8_t* low, const uint8_t* high, uint16_t* idx) {
  const __m256i bit8 = _mm256_set1_epi16(256);
  for (int g = 0; g < 32; ++g) {
    uint16_t h;
    std::memcpy(&h, high + 2 * g, 2);
    const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low + 16 * g)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + 16 * g), _mm256_or_si256(v, _mm256_maskz_mov_epi16(h, bit8)));
  }
}

// Eight rows' grid entries, row r in 64-bit lane r.
__m512i entries(const uint16_t* idx) {
  const auto* grid = kIQ2XSGrid.data();
  return _mm512_set_epi64(static_cast<long long>(grid[idx[7]]), static_cast<long long>(grid[idx[6]]),
                          static_cast<long long>(grid[idx[5]]), static_cast<long long>(grid[idx[4]]),
                          static_cast<long long>(grid[idx[3]]), static_cast<long long>(grid[idx[2]]),
                          static_cast<long long>(grid[idx[1]]), static_cast<long long>(grid[idx[0]]));
}

template <int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  const __m512i sixty_four = _mm512_set1_epi8(64), zero = _mm512_setzero_si512();
  // 32-bit lane r of the low (high) half: the first (last) four bytes of row r's grid entry.
  const __m512i first_four = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i last_four = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kIQ2XSBlockBytes + 1) * kIQ2XSBlockBytes;
  alignas(64) uint16_t idx[32 * 16];
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += kIQ2XSBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kIQ2XSBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    const uint8_t* scales = group + 32;
    const uint8_t* low = scales + 128;
    const uint8_t* high = low + 512;
    const uint8_t* signs = high + 64;
    block_indices(low, high, idx);
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
        // Scalar loads and inserts: on Zen 4 they build the vectors about three times faster
        // than vpgatherdd does.
        const __m512i rows0to7 = entries(idx + 16 * g), rows8to15 = entries(idx + 16 * g + 8);
        const __m512i mags[2] = {_mm512_permutex2var_epi32(rows0to7, first_four, rows8to15),
                                 _mm512_permutex2var_epi32(rows0to7, last_four, rows8to15)};
        #pragma GCC unroll 2
        for (int half = 0; half < 2; ++half) {
          uint64_t m;
          std::memcpy(&m, signs + 16 * g + 8 * half, 8);
          const __m512i u = _mm512_add_epi8(_mm512_mask_sub_epi8(mags[half], m, zero, mags[half]), sixty_four);
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
