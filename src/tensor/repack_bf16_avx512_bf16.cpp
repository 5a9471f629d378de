// AVX-512 BF16 tile kernel for packed BF16 groups (layout in repack_bf16.h): 16 rows in the
// lanes, each token's activations rounded to BF16 64 columns at a time and broadcast a column
// pair per vdpbf16ps. Two accumulators per token alternate so that a single token (decode) is
// not held up by the instruction's latency.
#include <immintrin.h>

#include <cstring>

#include "tensor/prefetch.h"
#include "tensor/repack.h"
#include "tensor/repack_bf16.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

namespace {

constexpr int kStepCols = static_cast<int>(kBf16StepCols);
constexpr size_t kStepBytes = kStepCols / 2 * 64;  // one 64-byte vector per column pair

// 16 activations from x[0..n) (n may be short or negative at the end of a row: the rest read as
// zero, and nothing past the row is touched).
__m512 load16(const float* x, int64_t n) {
  if (n >= 16) return _mm512_loadu_ps(x);
  return n <= 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), x);
}

template <int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  __m512 acc[NT][2];
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t][0] = acc[t][1] = _mm512_setzero_ps();
  constexpr size_t kAhead = (kPrefetchAheadBytes / kStepBytes + 1) * kStepBytes;
  for (int64_t c0 = 0; c0 < cols; c0 += kStepCols, group += kStepBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kStepBytes);
    // Column pair k of token t: the dword pairs[t][k].
    alignas(64) uint32_t pairs[NT][kStepCols / 2];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      const float* x = reinterpret_cast<const float*>(act + static_cast<size_t>(t) * a_stride) + c0;
      const int64_t left = cols - c0;
      #pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        const __m512bh b = _mm512_cvtne2ps_pbh(load16(x + 32 * h + 16, left - 32 * h - 16), load16(x + 32 * h, left - 32 * h));
        std::memcpy(&pairs[t][16 * h], &b, 64);
      }
    }
    #pragma GCC unroll 4
    for (int k = 0; k < kStepCols / 2; ++k) {
      const __m512bh w = (__m512bh)_mm512_loadu_si512(group + 64 * k);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t)
        acc[t][k % 2] = _mm512_dpbf16_ps(acc[t][k % 2], w, (__m512bh)_mm512_set1_epi32(static_cast<int>(pairs[t][k])));
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, _mm512_add_ps(acc[t][0], acc[t][1]));
}

}  // namespace

void tile_bf16_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>, tile<7>, tile<8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
