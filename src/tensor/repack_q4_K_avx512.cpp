// AVX-512 VNNI tile kernels for packed Q4_K / Q5_K groups (layout: repack_q4_K.h): 16 rows, one
// per 32-bit lane, against up to kMaxTileTokens Q8_K activation rows. Each packed quant vector is
// unpacked once and used for every token; the four activation bytes it pairs with are broadcast.
#include <immintrin.h>

#include "tensor/prefetch.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_q4_K.h"

namespace airlock::repack_k4 {

using quant::BlockQ8_K;
using quant::kQK_K;

namespace {

__m512i load512(const void* p) { return _mm512_loadu_si512(p); }
__m512i bcast32(const int8_t* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Moves bit b of every byte to bit 4 (the other bits are masked off by the caller). 16-bit shifts
// are fine: what crosses from the neighbouring byte never lands on bit 4. b is a constant once the
// loops are unrolled.
__m512i bit_to_4(__m512i v, int b) {
  if (b < 4) return _mm512_slli_epi16(v, 4 - b);
  if (b > 4) return _mm512_srli_epi16(v, b - 4);
  return v;
}

// a | (b & c)
__m512i or_and(__m512i a, __m512i b, __m512i c) { return _mm512_ternarylogic_epi32(a, b, c, 0xf8); }

// N tokens; C of the four 64-element chunks of a super-block at a time. Each chunk keeps two
// accumulators per token (its two sub-blocks have their own scales): more chunks at once give
// few-token tiles independent dpbusd chains, fewer keep many-token tiles inside the registers.
template <bool Q5, int N, int C>
struct Tile {
  static_assert(4 % C == 0);
  const BlockQ8_K* y[N];
  __m512i isum[N];  // per super-block: sum over sub-blocks of scale * (quants . activations)

  // Sub-blocks 2k..2k+2C-1 of super-block i (chunks k0..k0+C-1).
  void chunks(const uint8_t* sb, int64_t i, int k0) {
    const uint8_t* qs = sb + kHeader + (Q5 ? kQhBytes : 0);
    const __m512i low4 = _mm512_set1_epi8(0x0f), bit4 = _mm512_set1_epi8(0x10);
    __m512i lo[C][N], hi[C][N];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c)
#pragma GCC unroll 8
      for (int t = 0; t < N; ++t) lo[c][t] = hi[c][t] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int m = 0; m < 8; ++m) {
      __m512i qh = _mm512_setzero_si512();
      if constexpr (Q5) qh = load512(sb + kHeader + m * 64);
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) {
        const int k = k0 + c;
        const __m512i w = load512(qs + (8 * k + m) * 64);
        __m512i wl = _mm512_and_si512(w, low4);
        __m512i wh = _mm512_and_si512(_mm512_srli_epi16(w, 4), low4);
        if constexpr (Q5) {
          wl = or_and(wl, bit_to_4(qh, 2 * k), bit4);
          wh = or_and(wh, bit_to_4(qh, 2 * k + 1), bit4);
        }
#pragma GCC unroll 8
        for (int t = 0; t < N; ++t) {
          const int8_t* a = y[t][i].qs + 64 * k + 4 * m;
          lo[c][t] = _mm512_dpbusd_epi32(lo[c][t], wl, bcast32(a));
          hi[c][t] = _mm512_dpbusd_epi32(hi[c][t], wh, bcast32(a + 32));
        }
      }
    }
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      const uint8_t* scales = sb + kScales + 32 * (k0 + c);
      const __m512i sc_lo = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
      const __m512i sc_hi = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + 16)));
#pragma GCC unroll 8
      for (int t = 0; t < N; ++t)
        isum[t] = _mm512_add_epi32(isum[t], _mm512_add_epi32(_mm512_mullo_epi32(lo[c][t], sc_lo), _mm512_mullo_epi32(hi[c][t], sc_hi)));
    }
  }

  void run(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out, size_t out_stride) {
    for (int t = 0; t < N; ++t) y[t] = reinterpret_cast<const BlockQ8_K*>(act + a_stride * static_cast<size_t>(t));
    __m512 acc[N];
    for (int t = 0; t < N; ++t) acc[t] = _mm512_setzero_ps();
    const uint8_t* sb = group;
    for (int64_t i = 0; i < cols / kQK_K; ++i, sb += superblock_bytes(Q5)) {
      for (int t = 0; t < N; ++t) isum[t] = _mm512_setzero_si512();
      prefetch_lines<PrefetchTo::L2>(sb + kPrefetchAheadBytes, superblock_bytes(Q5));
#pragma GCC unroll 4
      for (int k0 = 0; k0 < 4; k0 += C) chunks(sb, i, k0);
      // Mins: sum over sub-blocks of min * (sum of its 32 activations), as int16 pairs.
      __m512i mins[4];
      for (int j = 0; j < 4; ++j)
        mins[j] = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sb + kMins + 32 * j)));
      const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sb + kD)));
      const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sb + kDmin)));
      for (int t = 0; t < N; ++t) {
        const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y[t][i].bsums));
        const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y[t][i].bsums + 8));
        // int16 lane s: the sum of sub-block s's activations; dword j: the pair for sub-blocks 2j, 2j+1.
        const __m512i pairs = _mm512_castsi128_si512(_mm_hadd_epi16(b0, b1));
        __m512i imin = _mm512_setzero_si512();
        for (int j = 0; j < 4; ++j)
          imin = _mm512_dpwssd_epi32(imin, mins[j], _mm512_permutexvar_epi32(_mm512_set1_epi32(j), pairs));
        const __m512 ad = _mm512_set1_ps(y[t][i].d);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(d, ad), acc[t]);
        acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(imin), _mm512_mul_ps(dmin, ad), acc[t]);
      }
    }
    for (int t = 0; t < N; ++t) _mm512_storeu_ps(out + out_stride * static_cast<size_t>(t), acc[t]);
  }
};

// Chunks at a time: all four for one token (eight independent dpbusd chains), two for two, one from three
// tokens on (2N accumulators, the isum and float sums stay within the 32 registers). Measured.
template <bool Q5, int N>
void run_tile(int64_t cols, const uint8_t* g, const uint8_t* a, size_t a_stride, float* out, size_t out_stride) {
  constexpr int C = N == 1 ? 4 : N == 2 ? 2 : 1;
  Tile<Q5, N, C>().run(cols, g, a, a_stride, out, out_stride);
}

static_assert(kMaxTileTokens == 8, "tile() dispatches 1..8 tokens");

template <bool Q5>
void tile(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out, size_t out_stride) {
  const auto* g = static_cast<const uint8_t*>(group);
  const auto* a = static_cast<const uint8_t*>(act);
  switch (n_tokens) {
    case 1: run_tile<Q5, 1>(cols, g, a, a_stride, out, out_stride); break;
    case 2: run_tile<Q5, 2>(cols, g, a, a_stride, out, out_stride); break;
    case 3: run_tile<Q5, 3>(cols, g, a, a_stride, out, out_stride); break;
    case 4: run_tile<Q5, 4>(cols, g, a, a_stride, out, out_stride); break;
    case 5: run_tile<Q5, 5>(cols, g, a, a_stride, out, out_stride); break;
    case 6: run_tile<Q5, 6>(cols, g, a, a_stride, out, out_stride); break;
    case 7: run_tile<Q5, 7>(cols, g, a, a_stride, out, out_stride); break;
    default: run_tile<Q5, 8>(cols, g, a, a_stride, out, out_stride); break;
  }
}

}  // namespace

void tile_q4_K_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride) {
  tile<false>(cols, group, act, a_stride, n_tokens, out, out_stride);
}
void tile_q5_K_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride) {
  tile<true>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_k4
