// AVX-512 VNNI tile kernels for packed Q4_1 and Q5_1 groups (layouts in repack_q4_1_q5_1.h): 16
// rows in the lanes of one zmm, each 4-byte slice of a token's Q8_1 activations broadcast to all
// lanes. The quants are unsigned, so vpdpbusd takes them as they are; each block adds
// d * da * sum(q * a) + m * s per row and token.
#include <immintrin.h>

#include <type_traits>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_q4_1_q5_1.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

struct Q4_1Weights {
  static constexpr size_t kBlockBytes = kRepackRows * sizeof(BlockQ4_1);
  template <int NT>
  static void accumulate(const uint8_t* quants, const BlockQ8_1* const* a, __m512i* isum) {
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    #pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m512i x = load512(quants + 64 * j);
      const __m512i lo = _mm512_and_si512(x, low4);                        // elements 4j..4j+3
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), low4);  // elements 16+4j..
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        isum[t] = _mm512_dpbusd_epi32(isum[t], lo, broadcast4(a[t]->qs + 4 * j));
        isum[t] = _mm512_dpbusd_epi32(isum[t], hi, broadcast4(a[t]->qs + 16 + 4 * j));
      }
    }
  }
};

// The nibbles follow 64 bytes of fifth bits; shifting 16-bit lanes moves each wanted bit to bit 4
// of its own byte (the mask drops what crosses bytes).
struct Q5_1Weights {
  static constexpr size_t kBlockBytes = kRepackRows * sizeof(BlockQ5_1);
  template <int J>
  static __m512i shift_to_bit4(__m512i v) {
    if constexpr (J < 0) return _mm512_srli_epi16(v, -J);
    else return _mm512_slli_epi16(v, J);
  }
  template <int NT>
  static void accumulate(const uint8_t* bits_then_quants, const BlockQ8_1* const* a, __m512i* isum) {
    const __m512i low4 = _mm512_set1_epi8(0x0f), bit4 = _mm512_set1_epi8(0x10);
    const __m512i hb = load512(bits_then_quants);
    const uint8_t* quants = bits_then_quants + 64;
    auto step = [&](auto j_tag, __m512i lo5, __m512i hi5) {
      constexpr int j = decltype(j_tag)::value;
      const __m512i x = load512(quants + 64 * j);
      // a | (b & c): the nibble with its fifth bit.
      const __m512i lo = _mm512_ternarylogic_epi32(_mm512_and_si512(x, low4), lo5, bit4, 0xf8);
      const __m512i hi = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(x, 4), low4), hi5, bit4, 0xf8);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        isum[t] = _mm512_dpbusd_epi32(isum[t], lo, broadcast4(a[t]->qs + 4 * j));
        isum[t] = _mm512_dpbusd_epi32(isum[t], hi, broadcast4(a[t]->qs + 16 + 4 * j));
      }
    };
    step(std::integral_constant<int, 0>{}, shift_to_bit4<4>(hb), shift_to_bit4<3>(hb));
    step(std::integral_constant<int, 1>{}, shift_to_bit4<2>(hb), shift_to_bit4<1>(hb));
    step(std::integral_constant<int, 2>{}, hb, shift_to_bit4<-1>(hb));
    step(std::integral_constant<int, 3>{}, shift_to_bit4<-2>(hb), shift_to_bit4<-3>(hb));
  }
};

template <class W, int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / W::kBlockBytes + 1) * W::kBlockBytes;
  for (int64_t b = 0; b < cols / kQK; ++b, group += W::kBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, W::kBlockBytes);
    const BlockQ8_1* a[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const BlockQ8_1*>(act + static_cast<size_t>(t) * a_stride) + b;
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    W::template accumulate<NT>(group + 4 * kRepackRows, a, isum);
    const __m512 dw = _mm512_cvtph_ps(load256(group));
    const __m512 mw = _mm512_cvtph_ps(load256(group + 2 * kRepackRows));
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(_cvtsh_ss(a[t]->d)));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), d, acc[t]);
      acc[t] = _mm512_fmadd_ps(mw, _mm512_set1_ps(_cvtsh_ss(a[t]->s)), acc[t]);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

template <class W>
void tiles(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out, size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile<W, 1>, tile<W, 2>, tile<W, 3>, tile<W, 4>,
                                                    tile<W, 5>, tile<W, 6>, tile<W, 7>, tile<W, 8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace

void tile_q4_1_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride) {
  tiles<Q4_1Weights>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

void tile_q5_1_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride) {
  tiles<Q5_1Weights>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
