// Packed ("rows in lanes", see repack.h) layout of BF16 weights for the AVX-512 BF16 dot product
// vdpbf16ps, which adds a[2i] * b[2i] + a[2i+1] * b[2i+1] into float lane i. For each pair of
// columns (2c, 2c+1) of a 16-row group, one 64-byte vector: lane r holds row r's two values,
// column 2c in the low half. Columns are padded with zeros to a multiple of kBf16StepCols (the
// tile kernel's step); otherwise the same size as the 16 rows. The tile rounds each token's float
// activations to BF16 (nearest even), as the reference engine's BF16 dot product does, so its sums
// differ from an F32 product by that rounding.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr int64_t kBf16StepCols = 64;

size_t group_bytes_bf16(int64_t cols);
void pack_bf16(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 BF16 tile kernel (repack_bf16_avx512_bf16.cpp; only where has_avx512_bf16()); contract
// as RepackKernels::tile, activations in F32.
void tile_bf16_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride);

}  // namespace airlock::repack_lanes
