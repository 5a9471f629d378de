// Packed ("rows in lanes", see repack.h) layout of Q2_K against Q8_K activations: 2-bit unsigned
// quants with a 4-bit scale and a 4-bit minimum per 16 elements. The quants go to vpdpbusd as
// they are; the minimums come off through the activations' bsums. Per 256-column block of a
// 16-row group:
//   d[16], dmin[16]     fp16 per row (lane r = row r)
//   scales[8][16][2]    the file's scale bytes (low nibble: scale, high nibble: minimum) of
//                       sub-blocks 2p and 2p+1 of row r, side by side
//   quants[16][16][4]   vector s, lane r byte b: bits 2g..2g+1 = quant of element 16s + 4g + b
// 1344 bytes, the same size as the 16 file blocks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kQ2KBlockBytes = 64 + 256 + 1024;

size_t group_bytes_q2_K(int64_t cols);
void pack_q2_K(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernel (repack_q2_K_avx512.cpp); contract as RepackKernels::tile.
void tile_q2_K_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride);

}  // namespace airlock::repack_lanes
