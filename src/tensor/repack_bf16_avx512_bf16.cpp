// AVX-512 BF16 kernels for packed BF16 groups (layout in repack_bf16.h): the activation pre-pass
// and the tile. The tile keeps 16 rows in the lanes and one accumulator chain per token (more for
// one to three tokens, so that decode is not held up by vdpbf16ps's latency), all in registers;
// each vdpbf16ps takes its token's column pair straight from memory as an embedded broadcast, so
// one weight load feeds NT multiply-adds and there is no conversion inside the tile. At 8 tokens
// this runs at ~90% of the vdpbf16ps peak measured in registers on Zen 4.
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

// 16 floats from x[0..n) (n may be short at the end of a row: the rest read as zero, and nothing
// past the row is touched).
__m512 load16(const float* x, int64_t n) {
  if (n >= 16) return _mm512_loadu_ps(x);
  return n <= 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), x);
}

// Independent accumulator chains per token: vdpbf16ps has a latency of several cycles, so fewer
// than about six chains in flight leave the unit idle.
constexpr int chains_for(int nt) { return nt >= 4 ? 1 : (nt >= 2 ? 2 : 4); }

// acc + w * the column pair at `pair` broadcast to every lane. Written out because GCC does not
// fold the broadcast into vdpbf16ps's memory operand: a separate vpbroadcastd per multiply-add made
// the 128-token product ~8% slower on Zen 4 (bench_kernels BM_Matmul1T/bf16).
inline __m512 dot_pair(__m512 acc, __m512bh w, const uint32_t* pair) {
  asm("vdpbf16ps %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(w), "m"(*pair));
  return acc;
}

template <int NT>
void tile(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
  constexpr int C = chains_for(NT);
  static_assert((kStepCols / 2) % C == 0);
  __m512 acc[C][NT];
  #pragma GCC unroll 8
  for (int c = 0; c < C; ++c)
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[c][t] = _mm512_setzero_ps();
  const uint32_t* x[NT];  // token t's column pairs, one dword each
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) x[t] = reinterpret_cast<const uint32_t*>(act + static_cast<size_t>(t) * a_stride);
  constexpr size_t kAhead = (kPrefetchAheadBytes / kStepBytes + 1) * kStepBytes;
  const int64_t pairs = bf16_padded_cols(cols) / 2;
  for (int64_t k0 = 0; k0 < pairs; k0 += kStepCols / 2, group += kStepBytes) {
    prefetch_lines<PrefetchTo::L1>(group + kAhead, kStepBytes);
    #pragma GCC unroll 32
    for (int k = 0; k < kStepCols / 2; k += C) {
      #pragma GCC unroll 4
      for (int c = 0; c < C; ++c) {
        const __m512bh w = (__m512bh)_mm512_loadu_si512(group + 64 * (k + c));
        #pragma GCC unroll 8
        for (int t = 0; t < NT; ++t)
          acc[c][t] = dot_pair(acc[c][t], w, x[t] + k0 + k + c);
      }
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) {
    __m512 sum = acc[0][t];
    #pragma GCC unroll 4
    for (int c = 1; c < C; ++c) sum = _mm512_add_ps(sum, acc[c][t]);
    _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, sum);
  }
}

}  // namespace

void bf16_pairs_avx512(const float* x, void* dst, int64_t cols) {
  auto* out = static_cast<uint8_t*>(dst);
  const int64_t padded = bf16_padded_cols(cols);
  for (int64_t c0 = 0; c0 < padded; c0 += 32, out += 64) {
    // Nearest even, as the reference engine's BF16 dot product rounds its activations.
    const __m512bh b = _mm512_cvtne2ps_pbh(load16(x + c0 + 16, cols - c0 - 16), load16(x + c0, cols - c0));
    std::memcpy(out, &b, 64);
  }
}

void tile_bf16_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride) {
  static constexpr TileKernel kTiles[kMaxTileTokens] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>, tile<7>, tile<8>};
  run_tiles(kTiles, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
