// AVX-512 VNNI tile kernels for packed Q3_K and IQ4_XS groups (layouts in repack_q3_K_iq4_xs.h):
// 16 rows in the lanes, activation slices broadcast, vpdpbusd per 4-element group. Each 16-element
// sub-block's four weight vectors are unpacked once and used for every token; the stored offset
// comes back out as offset * bsum per sub-block pair (vpdpwssd on the scale pair), as in the Q6_K
// kernel.
#include <immintrin.h>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_q3_K_iq4_xs.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

struct Q3K {
  static constexpr size_t kBlockBytes = kQ3KBlockBytes;
  static constexpr int kOffset = 4;
  // Lane r: row r's scales of sub-blocks 2p and 2p+1 as an int16 pair.
  static __m512i scale_pair(const uint8_t* blk, int p) { return _mm512_cvtepi8_epi16(load256(blk + 32 + 32 * p)); }
  static void weights(const uint8_t* blk, int s, __m512i w[4]) {
    const __m512i three = _mm512_set1_epi8(3), four = _mm512_set1_epi8(4);
    const __m512i lo = load512(blk + 32 + 256 + 64 * s);
    const __m512i hb = _mm512_srli_epi16(load512(blk + 32 + 256 + 1024 + 64 * (s / 2)), 4 * (s % 2));
    // Bit g of hb to bit 2 of each byte: shifts by 2 - g (bits crossing bytes are masked off).
    w[0] = _mm512_or_si512(_mm512_and_si512(lo, three), _mm512_and_si512(_mm512_slli_epi16(hb, 2), four));
    w[1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lo, 2), three), _mm512_and_si512(_mm512_slli_epi16(hb, 1), four));
    w[2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lo, 4), three), _mm512_and_si512(hb, four));
    w[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lo, 6), three), _mm512_and_si512(_mm512_srli_epi16(hb, 1), four));
  }
};

struct IQ4XS {
  static constexpr size_t kBlockBytes = kIQ4XSBlockBytes;
  static constexpr int kOffset = 128;
  // Both 16-element halves of 32-block p share its scale: the same int16 twice per lane.
  static __m512i scale_pair(const uint8_t* blk, int p) {
    const __m512i s = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 32 + 16 * p)));
    return _mm512_or_si512(_mm512_and_si512(s, _mm512_set1_epi32(0xffff)), _mm512_slli_epi32(s, 16));
  }
  static void weights(const uint8_t* blk, int s, __m512i w[4]) {
    alignas(16) static constexpr int8_t kShifted[16] = {
        static_cast<int8_t>(-127 + 128), static_cast<int8_t>(-104 + 128), static_cast<int8_t>(-83 + 128),
        static_cast<int8_t>(-65 + 128),  static_cast<int8_t>(-49 + 128),  static_cast<int8_t>(-35 + 128),
        static_cast<int8_t>(-22 + 128),  static_cast<int8_t>(-10 + 128),  static_cast<int8_t>(1 + 128),
        static_cast<int8_t>(13 + 128),   static_cast<int8_t>(25 + 128),   static_cast<int8_t>(38 + 128),
        static_cast<int8_t>(53 + 128),   static_cast<int8_t>(69 + 128),   static_cast<int8_t>(89 + 128),
        static_cast<int8_t>(113 + 128)};
    static_assert(kIQ4Values[0] == -127 && kIQ4Values[15] == 113);
    const __m512i table = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kShifted)));
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    const __m512i x0 = load512(blk + 32 + 128 + 64 * (2 * s)), x1 = load512(blk + 32 + 128 + 64 * (2 * s + 1));
    w[0] = _mm512_shuffle_epi8(table, _mm512_and_si512(x0, low4));
    w[1] = _mm512_shuffle_epi8(table, _mm512_and_si512(x1, low4));
    w[2] = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(x0, 4), low4));
    w[3] = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(x1, 4), low4));
  }
};

template <class Layout, int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  const __m512i minus_offset = _mm512_set1_epi16(-Layout::kOffset);
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / Layout::kBlockBytes + 1) * Layout::kBlockBytes;
  for (int64_t i = 0; i < cols / kQK_K; ++i, group += Layout::kBlockBytes) {
    prefetch_lines<PrefetchTo::L2>(group + kAhead, Layout::kBlockBytes);
    const BlockQ8_K* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * a_stride) + i;
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    for (int p = 0; p < 8; ++p) {
      const __m512i pair = Layout::scale_pair(group, p);
      // sum((u - offset) * a) = sum(u * a) - offset * bsum, for both sub-blocks at once.
      const __m512i offset_scales = _mm512_mullo_epi16(pair, minus_offset);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) isum[t] = _mm512_dpwssd_epi32(isum[t], offset_scales, broadcast4(a[t]->bsums + 2 * p));
      #pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        const int s = 2 * p + h;
        const __m512i scale = h == 0 ? _mm512_srai_epi32(_mm512_slli_epi32(pair, 16), 16) : _mm512_srai_epi32(pair, 16);
        __m512i w[4];
        Layout::weights(group, s, w);
        #pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) {
          const __m512i d = dot16_lanes(w[0], w[1], w[2], w[3], a[t]->qs + 16 * s);
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

template <class Layout>
void tiles(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out, size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile<Layout, 1>, tile<Layout, 2>, tile<Layout, 3>, tile<Layout, 4>,
                                                    tile<Layout, 5>, tile<Layout, 6>, tile<Layout, 7>, tile<Layout, 8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace

void tile_q3_K_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride) {
  tiles<Q3K>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

void tile_iq4_xs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                        size_t out_stride) {
  tiles<IQ4XS>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
