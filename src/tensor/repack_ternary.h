// Packed ("rows in lanes", see repack.h) layout of the ternary type TQ2_0 against Q8_K
// activations. Its 2-bit quants q (value q - 1, times the row's one scale per 256 elements) go to
// vpdpbusd as they are; the -1 comes off through the activations' bsums. Per 256-column block of
// a 16-row group:
//   d[16]               fp16 per row (lane r = row r)
//   quants[16][16][4]   vector s, lane r byte b: bits 2g..2g+1 = q of element 16s + 4g + b
// 1056 bytes, the same size as the 16 file blocks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kTernaryBlockBytes = 32 + 1024;

size_t group_bytes_tq2_0(int64_t cols);
void pack_tq2_0(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernel (repack_ternary_avx512.cpp); contract as RepackKernels::tile.
void tile_ternary_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                         size_t out_stride);

}  // namespace airlock::repack_lanes
