// AVX-512 versions of attention_tile.h.
#include <immintrin.h>

#include <algorithm>

#include "tensor/attention_tile.h"

namespace airlock::kernels {

namespace {

constexpr int kTileQueries = 4;  // queries per register tile: 4 x 4 accumulators, 4 key/value rows

// The loops over a tile's registers carry "#pragma GCC unroll": unrolled, the accumulator arrays
// live in registers; GCC at -O2 otherwise keeps them on the stack, a load and a store per
// multiply-add.

__mmask16 first_lanes(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1);
}

// r[i] becomes column i of the 16 x 16 matrix whose rows were r[0..15]. Inlined, so that the
// rows stay in registers.
[[gnu::always_inline]] inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  // Within each 128-bit lane: pairs of rows interleaved, then groups of four rows.
  #pragma GCC unroll 16
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
  }
  #pragma GCC unroll 16
  for (int k = 0; k < 4; ++k) {
    u[4 * k] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0x44);
    u[4 * k + 1] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0xEE);
    u[4 * k + 2] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
    u[4 * k + 3] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
  }
  // u[4k + e], lane L, holds column 4L + e of rows 4k..4k+3; gather the four lanes L of each e.
  #pragma GCC unroll 16
  for (int e = 0; e < 4; ++e) {
    const __m512 v = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x88), w = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xDD);
    const __m512 x = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x88),
                 y = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xDD);
    r[e] = _mm512_shuffle_f32x4(v, x, 0x88);
    r[4 + e] = _mm512_shuffle_f32x4(w, y, 0x88);
    r[8 + e] = _mm512_shuffle_f32x4(v, x, 0xDD);
    r[12 + e] = _mm512_shuffle_f32x4(w, y, 0xDD);
  }
}

// Rows are read 16 columns at a time through load(row, first column, lane mask).
template <typename Load>
void transpose_blocks(int64_t rows, int64_t width, Load load, float* kt) {
  for (int64_t r0 = 0; r0 < kAttnBlock; r0 += 16) {
    for (int64_t d0 = 0; d0 < width; d0 += 16) {
      const __mmask16 cols = first_lanes(width - d0);
      __m512 r[16];
#pragma GCC unroll 16
      for (int64_t i = 0; i < 16; ++i) r[i] = r0 + i < rows ? load(r0 + i, d0, cols) : _mm512_setzero_ps();
      transpose16(r);
      if (width - d0 >= 16) {
#pragma GCC unroll 16
        for (int c = 0; c < 16; ++c) _mm512_storeu_ps(kt + (d0 + c) * kAttnBlock + r0, r[c]);
      } else {
        for (int c = 0; c < width - d0; ++c) _mm512_storeu_ps(kt + (d0 + c) * kAttnBlock + r0, r[c]);
      }
    }
  }
}

template <int NQ>
void score_tile(int64_t width, const float* const* q, const float* kt, float scale, float* s) {
  __m512 acc[NQ][4];
  #pragma GCC unroll 16
  for (int i = 0; i < NQ; ++i)
    #pragma GCC unroll 16
    for (int c = 0; c < 4; ++c) acc[i][c] = _mm512_setzero_ps();
  for (int64_t d = 0; d < width; ++d) {
    const float* col = kt + d * kAttnBlock;
    const __m512 k0 = _mm512_loadu_ps(col), k1 = _mm512_loadu_ps(col + 16);
    const __m512 k2 = _mm512_loadu_ps(col + 32), k3 = _mm512_loadu_ps(col + 48);
    #pragma GCC unroll 16
    for (int i = 0; i < NQ; ++i) {
      const __m512 b = _mm512_set1_ps(q[i][d]);
      acc[i][0] = _mm512_fmadd_ps(b, k0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(b, k1, acc[i][1]);
      acc[i][2] = _mm512_fmadd_ps(b, k2, acc[i][2]);
      acc[i][3] = _mm512_fmadd_ps(b, k3, acc[i][3]);
    }
  }
  const __m512 vs = _mm512_set1_ps(scale);
  #pragma GCC unroll 16
  for (int i = 0; i < NQ; ++i)
    #pragma GCC unroll 16
    for (int c = 0; c < 4; ++c) _mm512_storeu_ps(s + i * kAttnBlock + 16 * c, _mm512_mul_ps(acc[i][c], vs));
}

// 64 output columns of NQ queries stay in registers across the block's rows; each value row is
// loaded (through load(row, first column, lane mask)) once for all of them.
template <int NQ, typename Load>
void accumulate_tile(int64_t width, int64_t rows, const float* p, Load load, float* const* out) {
  for (int64_t c0 = 0; c0 < width; c0 += 64) {
    __mmask16 m[4];
    #pragma GCC unroll 16
    for (int c = 0; c < 4; ++c) m[c] = c0 + 16 * c < width ? first_lanes(width - c0 - 16 * c) : 0;
    __m512 acc[NQ][4];
    #pragma GCC unroll 16
    for (int i = 0; i < NQ; ++i)
      #pragma GCC unroll 16
      for (int c = 0; c < 4; ++c) acc[i][c] = _mm512_maskz_loadu_ps(m[c], out[i] + c0 + 16 * c);
    for (int64_t j = 0; j < rows; ++j) {
      __m512 x[4];
      #pragma GCC unroll 16
      for (int c = 0; c < 4; ++c) x[c] = load(j, c0 + 16 * c, m[c]);
      #pragma GCC unroll 16
      for (int i = 0; i < NQ; ++i) {
        const __m512 b = _mm512_set1_ps(p[i * kAttnBlock + j]);
        #pragma GCC unroll 16
        for (int c = 0; c < 4; ++c) acc[i][c] = _mm512_fmadd_ps(b, x[c], acc[i][c]);
      }
    }
    #pragma GCC unroll 16
    for (int i = 0; i < NQ; ++i)
      #pragma GCC unroll 16
      for (int c = 0; c < 4; ++c) _mm512_mask_storeu_ps(out[i] + c0 + 16 * c, m[c], acc[i][c]);
  }
}

template <typename Load>
void accumulate_tiles(int64_t nq, int64_t width, int64_t rows, const float* p, Load load, float* const* out) {
  int64_t i = 0;
  for (; i + kTileQueries <= nq; i += kTileQueries)
    accumulate_tile<kTileQueries>(width, rows, p + i * kAttnBlock, load, out + i);
  switch (nq - i) {
    case 3: accumulate_tile<3>(width, rows, p + i * kAttnBlock, load, out + i); break;
    case 2: accumulate_tile<2>(width, rows, p + i * kAttnBlock, load, out + i); break;
    case 1: accumulate_tile<1>(width, rows, p + i * kAttnBlock, load, out + i); break;
    default: break;
  }
}

}  // namespace

void transpose_keys_avx512(int64_t rows, int64_t width, const float* x, int64_t stride, float* kt) {
  transpose_blocks(
      rows, width,
      [&](int64_t j, int64_t d0, __mmask16 m) { return _mm512_maskz_loadu_ps(m, x + j * stride + d0); }, kt);
}

void transpose_keys_f16_avx512(int64_t rows, int64_t width, const uint16_t* x, int64_t stride, float* kt) {
  transpose_blocks(
      rows, width,
      [&](int64_t j, int64_t d0, __mmask16 m) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + j * stride + d0));
      },
      kt);
}

void score_tile_avx512(int64_t nq, int64_t width, const float* const* q, const float* kt, float scale, float* s) {
  int64_t i = 0;
  for (; i + kTileQueries <= nq; i += kTileQueries) score_tile<kTileQueries>(width, q + i, kt, scale, s + i * kAttnBlock);
  switch (nq - i) {
    case 3: score_tile<3>(width, q + i, kt, scale, s + i * kAttnBlock); break;
    case 2: score_tile<2>(width, q + i, kt, scale, s + i * kAttnBlock); break;
    case 1: score_tile<1>(width, q + i, kt, scale, s + i * kAttnBlock); break;
    default: break;
  }
}

void accumulate_tile_avx512(int64_t nq, int64_t width, int64_t rows, const float* p, const float* v, int64_t stride,
                            float* const* out) {
  accumulate_tiles(
      nq, width, rows, p,
      [&](int64_t j, int64_t c, __mmask16 m) { return _mm512_maskz_loadu_ps(m, v + j * stride + c); }, out);
}

void accumulate_tile_f16_avx512(int64_t nq, int64_t width, int64_t rows, const float* p, const uint16_t* v,
                                int64_t stride, float* const* out) {
  accumulate_tiles(
      nq, width, rows, p,
      [&](int64_t j, int64_t c, __mmask16 m) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, v + j * stride + c));
      },
      out);
}

}  // namespace airlock::kernels
