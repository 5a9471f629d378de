// The tile loop shared by the packed 32-element formats that meet Q8_0 activations (Q8_0, Q4_0,
// Q5_0, IQ4_NL, MXFP4): a weight family W says how its group block starts (W::kScaleBytes of
// per-row scales, read by W::scales) and how its quants meet one block of each token's
// activations (W::accumulate, unsigned weights biased by 2^W::kBiasShift). For the *_avx512*.cpp
// files only.
#pragma once
#include <immintrin.h>

#include <cstring>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::kernels::avx512 {

// Scales stored as 16 fp16, one per row.
struct Fp16RowScales {
  static constexpr size_t kScaleBytes = 2 * kRepackRows;
  static __m512 scales(const uint8_t* group) { return _mm512_cvtph_ps(load256(group)); }
};

// A 16-entry int8 codebook indexed by Q4_0-layout nibbles (IQ4_NL, MXFP4), biased by 128 (the
// sign bit flipped) so that vpdpbusd takes the values unsigned.
template <int NT>
[[gnu::always_inline]] inline void accumulate_codebook(const int8_t* values, const uint8_t* quants,
                                                       const quant::BlockQ8_0* const* a, __m512i* isum) {
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i table = _mm512_xor_si512(_mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(values))),
                                         _mm512_set1_epi8(-128));
  #pragma GCC unroll 8
  for (int j = 0; j < 4; ++j) {
    const __m512i x = load512(quants + 64 * j);
    const __m512i lo = _mm512_shuffle_epi8(table, _mm512_and_si512(x, low4));
    const __m512i hi = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(x, 4), low4));
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      isum[t] = _mm512_dpbusd_epi32(isum[t], lo, broadcast4(a[t]->qs + 4 * j));
      isum[t] = _mm512_dpbusd_epi32(isum[t], hi, broadcast4(a[t]->qs + 16 + 4 * j));
    }
  }
}

// -2^Shift * sum(qs) of each token's block, lane t for token t (lanes >= NT zero): one vpdpbusd
// per token and a transposing hadd tree instead of eight separate horizontal sums. Inlined: a call
// per block would spill every accumulator of the tile.
template <int NT, int Shift>
[[gnu::always_inline]] inline __m256i negated_block_sums(const quant::BlockQ8_0* const* a) {
  const __m256i ones = _mm256_set1_epi8(1), zero = _mm256_setzero_si256();
  __m256i v[8];
  #pragma GCC unroll 8
  for (int t = 0; t < 8; ++t) v[t] = t < NT ? _mm256_dpbusd_epi32(zero, ones, load256(a[t]->qs)) : zero;
  const __m256i h0123 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
  const __m256i h4567 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
  const __m256i sums = _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20),
                                        _mm256_permute2x128_si256(h0123, h4567, 0x31));
  return _mm256_sub_epi32(zero, _mm256_slli_epi32(sums, Shift));
}

template <class W, int NT>
void q8_0_tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  __m512 acc[NT];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / W::kBlockBytes + 1) * W::kBlockBytes;
  for (int64_t b = 0; b < cols / quant::kQK; ++b, group += W::kBlockBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, W::kBlockBytes);
    const quant::BlockQ8_0* a[8];
    #pragma GCC unroll 8
    for (int t = 0; t < 8; ++t)
      a[t] = reinterpret_cast<const quant::BlockQ8_0*>(act + static_cast<size_t>(t < NT ? t : 0) * a_stride) + b;
    alignas(32) int32_t start[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(start), negated_block_sums<NT, W::kBiasShift>(a));
    __m512i isum[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    W::template accumulate<NT>(group + W::kScaleBytes, a, isum);
    const __m512 dw = W::scales(group);
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      // The bias correction joins after the vpdpbusd chain: starting the chain from it would put
      // the activation-sum latency on the critical path.
      const __m512i total = _mm512_add_epi32(isum[t], _mm512_set1_epi32(start[t]));
      const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(_cvtsh_ss(a[t]->d)));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total), d, acc[t]);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

// The tile family of W for run_tiles.
template <class W>
void run_q8_0_tiles(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                    size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {q8_0_tile<W, 1>, q8_0_tile<W, 2>, q8_0_tile<W, 3>, q8_0_tile<W, 4>,
                                                        q8_0_tile<W, 5>, q8_0_tile<W, 6>, q8_0_tile<W, 7>, q8_0_tile<W, 8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::kernels::avx512
