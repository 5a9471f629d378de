// The matrix products of tiled attention: a block of kAttnBlock keys scored against a tile of
// queries, and the block's value rows summed into those queries' outputs with their
// probabilities. Keys are transposed once per block (kt[d * kAttnBlock + j] is component d of key
// j), so every score is a broadcast query component times a row of kt: the same fused
// multiply-adds as a small matrix product, with no horizontal sum per key. An AVX-512 version is
// chosen at run time (the model module itself is compiled for baseline x86-64).
#pragma once
#include <cstdint>

#include "tensor/cpu_path.h"

namespace airlock {

inline constexpr int64_t kAttnBlock = 64;  // keys per block, the column count of kt and of the scores

// kt[d * kAttnBlock + j] = row j's component d, for j < rows (at most kAttnBlock) and d < width;
// columns j >= rows are zero. Rows start `stride` elements apart. The _f16 form reads IEEE halves.
using TransposeKeysFn = void (*)(int64_t rows, int64_t width, const float* x, int64_t stride, float* kt);
using TransposeKeysF16Fn = void (*)(int64_t rows, int64_t width, const uint16_t* x, int64_t stride, float* kt);
// s[i * kAttnBlock + j] = scale * (q[i] . key j) for i < nq and every j < kAttnBlock, with q[i]
// pointing at width floats and the keys in kt as above.
using ScoreTileFn = void (*)(int64_t nq, int64_t width, const float* const* q, const float* kt, float scale,
                             float* s);
// out[i][c] += sum over j < rows of p[i * kAttnBlock + j] * v[j * stride + c], for i < nq and c < width.
// The _f16 form reads IEEE halves.
using AccumulateTileFn = void (*)(int64_t nq, int64_t width, int64_t rows, const float* p, const float* v,
                                  int64_t stride, float* const* out);
using AccumulateTileF16Fn = void (*)(int64_t nq, int64_t width, int64_t rows, const float* p, const uint16_t* v,
                                     int64_t stride, float* const* out);

// The kernels for a CpuPath (the caller resolves them once, outside its loops).
TransposeKeysFn transpose_keys_kernel(CpuPath path);
TransposeKeysF16Fn transpose_keys_f16_kernel(CpuPath path);
ScoreTileFn score_tile_kernel(CpuPath path);
AccumulateTileFn accumulate_tile_kernel(CpuPath path);
AccumulateTileF16Fn accumulate_tile_f16_kernel(CpuPath path);

namespace kernels {
void transpose_keys_scalar(int64_t rows, int64_t width, const float* x, int64_t stride, float* kt);
void transpose_keys_avx512(int64_t rows, int64_t width, const float* x, int64_t stride, float* kt);
void transpose_keys_f16_scalar(int64_t rows, int64_t width, const uint16_t* x, int64_t stride, float* kt);
void transpose_keys_f16_avx512(int64_t rows, int64_t width, const uint16_t* x, int64_t stride, float* kt);
void score_tile_scalar(int64_t nq, int64_t width, const float* const* q, const float* kt, float scale, float* s);
void score_tile_avx512(int64_t nq, int64_t width, const float* const* q, const float* kt, float scale, float* s);
void accumulate_tile_scalar(int64_t nq, int64_t width, int64_t rows, const float* p, const float* v, int64_t stride,
                            float* const* out);
void accumulate_tile_avx512(int64_t nq, int64_t width, int64_t rows, const float* p, const float* v, int64_t stride,
                            float* const* out);
void accumulate_tile_f16_scalar(int64_t nq, int64_t width, int64_t rows, const float* p, const uint16_t* v,
                                int64_t stride, float* const* out);
void accumulate_tile_f16_avx512(int64_t nq, int64_t width, int64_t rows, const float* p, const uint16_t* v,
                                int64_t stride, float* const* out);
}  // namespace kernels

}  // namespace airlock
