// Packed ("rows in lanes", see repack.h) layout of BF16 weights for the AVX-512 BF16 dot product
// vdpbf16ps, which adds a[2i] * b[2i] + a[2i+1] * b[2i+1] into float lane i. For each pair of
// columns (2c, 2c+1) of a 16-row group, one 64-byte vector: lane r holds row r's two values,
// column 2c in the low half. Columns are padded with zeros to a multiple of kBf16StepCols (the
// tile kernel's step); otherwise the same size as the 16 rows.
// The tile reads activations already rounded to BF16 (nearest even, as the reference engine's BF16
// dot product does, so its sums differ from an F32 product by that rounding), converted once per
// matmul: a BF16 row padded with zeros to the same column count, so that each column pair is the
// one dword the tile broadcasts.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr int64_t kBf16StepCols = 64;

// Columns rounded up to kBf16StepCols; throws on cols <= 0.
int64_t bf16_padded_cols(int64_t cols);

size_t group_bytes_bf16(int64_t cols);
void pack_bf16(const void* rows, size_t row_stride, int64_t cols, void* dst);

// Bytes of one token's activations in the tile's format.
size_t act_row_bytes_bf16(int64_t cols);

// AVX-512 BF16 kernels (repack_bf16_avx512_bf16.cpp; only where has_avx512_bf16()).
// One token's F32 activations x[0..cols) -> act_row_bytes_bf16(cols) bytes at dst.
void bf16_pairs_avx512(const float* x, void* dst, int64_t cols);
// Contract as RepackKernels::tile, activations from bf16_pairs_avx512.
void tile_bf16_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride);

}  // namespace airlock::repack_lanes
