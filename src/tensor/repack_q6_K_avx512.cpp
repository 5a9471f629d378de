// AVX-512 VNNI tile kernel for repacked Q6_K groups (layout in repack_q6_K.cpp): 16 rows in the
// lanes, activation slices broadcast, vpdpbusd per 4-element group; each sub-block's four weight
// vectors are unpacked from the 4-bit and 2-bit planes once and used for every token.
#include <immintrin.h>

#include <cstring>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack_q6_K_legacy.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::kernels {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

constexpr size_t kGroupBlockBytes = kRepackRows * sizeof(BlockQ6_K);
constexpr size_t kSubScalesAt = 2 * kRepackRows, kLowAt = kSubScalesAt + 16 * kRepackRows,
                 kHighAt = kLowAt + kQK_K / 2 * kRepackRows;

// low | (high & 0x30): ternary-logic truth table for a | (b & c).
__m512i merge_high(__m512i low, __m512i high, __m512i mask30) { return _mm512_ternarylogic_epi32(low, high, mask30, 0xf8); }

template <int NT>
void q6_K_tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  const __m512i low4 = _mm512_set1_epi8(0x0f), mask30 = _mm512_set1_epi8(0x30);
  const __m512i minus32 = _mm512_set1_epi16(-32);
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kGroupBlockBytes + 1) * kGroupBlockBytes;
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += kGroupBlockBytes) {
    prefetch_lines<PrefetchTo::L2>(group + kAhead, kGroupBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    const uint8_t* low = group + kLowAt;
    const uint8_t* high = group + kHighAt;
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    for (int p = 0; p < 8; ++p) {
      // Lane r: row r's scales of sub-blocks 2p and 2p+1 as an int16 pair.
      const __m512i pair = _mm512_cvtepi8_epi16(load256(group + kSubScalesAt + 32 * p));
      // Quants are stored +32: sum((q-32)*a) = sum(q*a) - 32*bsum, the bsum part for both
      // sub-blocks at once with vpdpwssd on the pair.
      const __m512i offset_scales = _mm512_mullo_epi16(pair, minus32);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t)
        isum[t] = _mm512_dpwssd_epi32(isum[t], offset_scales, broadcast4(a[t]->bsums + 2 * p));
      #pragma GCC unroll 8
      for (int h = 0; h < 2; ++h) {
        const int s = 2 * p + h;
        const __m512i scale = h == 0 ? _mm512_srai_epi32(_mm512_slli_epi32(pair, 16), 16) : _mm512_srai_epi32(pair, 16);
        const __m512i x0 = load512(low + 64 * (2 * s)), x1 = load512(low + 64 * (2 * s + 1));
        const __m512i hb = load512(high + 64 * s);
        const __m512i w0 = merge_high(_mm512_and_si512(x0, low4), _mm512_slli_epi16(hb, 4), mask30);
        const __m512i w1 = merge_high(_mm512_and_si512(x1, low4), _mm512_slli_epi16(hb, 2), mask30);
        const __m512i w2 = merge_high(_mm512_and_si512(_mm512_srli_epi16(x0, 4), low4), hb, mask30);
        const __m512i w3 = merge_high(_mm512_and_si512(_mm512_srli_epi16(x1, 4), low4), _mm512_srli_epi16(hb, 2), mask30);
        #pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) {
          const __m512i d = dot16_lanes(w0, w1, w2, w3, a[t]->qs + 16 * s);
          isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(d, scale));
        }
      }
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

void q6_K_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                          float* out, size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {q6_K_tile<1>, q6_K_tile<2>, q6_K_tile<3>, q6_K_tile<4>,
                                                    q6_K_tile<5>, q6_K_tile<6>, q6_K_tile<7>, q6_K_tile<8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::kernels
