// The AVX-512 VNNI tile kernel shared by the packed lattice i-quants (IQ2_XXS, IQ2_XS, IQ2_S,
// IQ3_XXS, IQ3_S, IQ1_S, IQ1_M; layouts in repack_iq_xxs.h, repack_iq2_xs.h, repack_iq2_s.h,
// repack_iq3_s.h, repack_iq1.h).
// Per 8-element group a format hands over every row's eight grid values (scalar loads and
// inserts: on Zen 4 they build the vectors about three times faster than vpgatherdd), two
// vpermt2d split them into each row's first and last four, masked subtractions apply the signs,
// and +64 makes them unsigned for vpdpbusd; each token's sub-block sum starts at -64 * its bsums
// and is scaled by the row's 2s + 1. IQ1 has no signs: its entries arrive unsigned already.
// Include only from *_avx512.cpp files.
#pragma once
#include <immintrin.h>

#include <array>
#include <cstring>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes::lattice {

// A format F provides:
//   kBlockBytes      bytes of one packed 256-column block; fp16 d[16] first
//   kGroupsPerScale  8-element groups sharing one scale (2: 16 elements, 4: 32)
//   scales(block, s) 2s + 1 of sub-block s of every row, in 32-bit lane r (odd_scales for scale nibbles)
//   kSignsAt         offset of signs[32][2]: uint64, half h, bit 4r + j = sign of element 8g + 4h + j of row r
//   kFactor          the format's power of two: value = d * kFactor * (2s + 1) * grid
//   Rows(block)      prepares a block; rows.entries(g, r0) = grid entries of group g, row r0 + k in 64-bit lane k
// A format without signs provides kUnsignedBias instead of kSignsAt: its entries are the bytes
// value + kUnsignedBias, each >= 0, and go to vpdpbusd as they are.
template <class F>
concept Unsigned = requires { F::kUnsignedBias; };

template <class F>
constexpr int bias() {
  if constexpr (Unsigned<F>)
    return F::kUnsignedBias;
  else
    return 64;
}

// Eight 64-bit values, element k in lane k.
static inline __m512i lanes8(const uint64_t (&v)[8]) {
  return _mm512_set_epi64(static_cast<long long>(v[7]), static_cast<long long>(v[6]), static_cast<long long>(v[5]),
                          static_cast<long long>(v[4]), static_cast<long long>(v[3]), static_cast<long long>(v[2]),
                          static_cast<long long>(v[1]), static_cast<long long>(v[0]));
}

// Eight rows' grid entries, row k's in lane k: grid[ix[k]] for a grid of 8-byte entries; for a grid
// of 4-byte entries (two per 8-element group), grid[ix[k]] joined with grid[ix[16 + k]], the
// group's second entry, which the layouts keep 16 indices on.
template <class Index, size_t N>
[[gnu::always_inline]] inline __m512i grid_lanes(const std::array<uint64_t, N>& grid, const Index* ix) {
  uint64_t v[8];
  #pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) v[k] = grid[ix[k]];
  return lanes8(v);
}
template <class Index, size_t N>
[[gnu::always_inline]] inline __m512i grid_lanes(const std::array<uint32_t, N>& grid, const Index* ix) {
  uint64_t v[8];
  #pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) v[k] = grid[ix[k]] | uint64_t{grid[ix[16 + k]]} << 32;
  return lanes8(v);
}

// The 9-bit grid indices of n groups of 16 rows widened to uint16, idx[16k + r] for row r of group
// k: the low bytes at low[16k + r], the ninth bits as bit r of the uint16 high[k] (IQ2_XS, IQ3_S).
inline void widen_9bit_indices(const uint8_t* low, const uint8_t* high, int n, uint16_t* idx) {
  const __m256i bit8 = _mm256_set1_epi16(256);
  for (int k = 0; k < n; ++k) {
    uint16_t h;
    std::memcpy(&h, high + 2 * k, 2);
    const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low + 16 * k)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 16 * k), _mm256_or_si256(v, _mm256_maskz_mov_epi16(h, bit8)));
  }
}

// 2s + 1 for every row's scale s, where byte 16p + r holds row r's scales 2p (low nibble) and 2p + 1.
static inline __m512i odd_scales(const uint8_t* scales, int s) {
  const __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + 16 * (s / 2))));
  const __m512i nibble = s % 2 ? _mm512_srli_epi32(bytes, 4) : _mm512_and_si512(bytes, _mm512_set1_epi32(0xf));
  return _mm512_add_epi32(_mm512_add_epi32(nibble, nibble), _mm512_set1_epi32(1));
}

template <class F, int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  using kernels::avx512::broadcast4;
  constexpr int kG = F::kGroupsPerScale;
  [[maybe_unused]] const __m512i sixty_four = _mm512_set1_epi8(64), zero = _mm512_setzero_si512();
  // 32-bit lane r of the first (last) half: the first (last) four bytes of row r's grid entry.
  const __m512i first_four = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i last_four = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / F::kBlockBytes + 1) * F::kBlockBytes;
  for (int64_t i = 0; i < cols / quant::kQK_K; ++i, group += F::kBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, F::kBlockBytes);
    const quant::BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const quant::BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    const typename F::Rows rows(group);
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    for (int s = 0; s < 32 / kG; ++s) {
      __m512i sub[NT];
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        int bsum = 0;
        #pragma GCC unroll 2
        for (int k = 0; k < kG / 2; ++k) bsum += a[t]->bsums[s * kG / 2 + k];
        sub[t] = _mm512_set1_epi32(-bias<F>() * bsum);
      }
      #pragma GCC unroll 4
      for (int q = 0; q < kG; ++q) {
        const int g = kG * s + q;
        const __m512i rows0to7 = rows.entries(g, 0), rows8to15 = rows.entries(g, 8);
        const __m512i mags[2] = {_mm512_permutex2var_epi32(rows0to7, first_four, rows8to15),
                                 _mm512_permutex2var_epi32(rows0to7, last_four, rows8to15)};
        #pragma GCC unroll 2
        for (int half = 0; half < 2; ++half) {
          __m512i u = mags[half];
          if constexpr (!Unsigned<F>) {
            uint64_t m;
            std::memcpy(&m, group + F::kSignsAt + 16 * g + 8 * half, 8);
            u = _mm512_add_epi8(_mm512_mask_sub_epi8(u, m, zero, u), sixty_four);
          }
          #pragma GCC unroll 8
          for (int t = 0; t < NT; ++t) sub[t] = _mm512_dpbusd_epi32(sub[t], u, broadcast4(a[t]->qs + 8 * g + 4 * half));
        }
      }
      const __m512i scale = F::scales(group, s);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sub[t], scale));
    }
    const __m512 dw = _mm512_mul_ps(_mm512_cvtph_ps(kernels::avx512::load256(group)), _mm512_set1_ps(F::kFactor));
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dw, _mm512_set1_ps(a[t]->d)), acc[t]);
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

// The kernels of format F for 1..kMaxTileTokens tokens, for run_tiles.
template <class F>
inline constexpr TileKernel kTiles[kMaxTileTokens] = {tile<F, 1>, tile<F, 2>, tile<F, 3>, tile<F, 4>,
                                                      tile<F, 5>, tile<F, 6>, tile<F, 7>, tile<F, 8>};

}  // namespace airlock::repack_lanes::lattice
