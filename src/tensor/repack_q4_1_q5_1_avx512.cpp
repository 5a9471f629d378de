// AVX-512 VNNI tile kernels for packed Q4_1 and Q5_1 groups (layouts in repack_q4_1_q5_1.h): 16
// rows in the lanes of one zmm, each 4-byte slice of a token's Q8_1 activations broadcast to all
// lanes. The quants are unsigned, so vpdpbusd takes them as they are; each block adds
// d * da * sum(q * a) + m * s per row and token.
#include <immintrin.h>

#include "tensor/nibble_quants_avx512.h"
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
    accumulate_nibbles<NT>(quants, a, isum);
  }
};

// Q5_1: Q4_1's nibbles after 64 bytes of fifth bits (nibble_quants_avx512.h).
struct Q5_1Weights {
  static constexpr size_t kBlockBytes = kRepackRows * sizeof(BlockQ5_1);
  template <int NT>
  static void accumulate(const uint8_t* bits_then_quants, const BlockQ8_1* const* a, __m512i* isum) {
    accumulate_nibbles_with_fifth_bits<NT>(bits_then_quants, a, isum);
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
