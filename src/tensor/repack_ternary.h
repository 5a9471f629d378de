// Packed ("rows in lanes", see repack.h) layouts of the ternary types TQ2_0 and TQ1_0 against
// Q8_K activations. Both have one scale per row and 256 elements, and quants q = value + 1 in
// 0..2 (TQ2_0 also allows 3); vpdpbusd takes q as it is and the +1 comes off through the
// activations' bsums. Per 256-column block of a 16-row group:
// TQ2_0:
//   d[16]               fp16 per row (lane r = row r)
//   quants[16][16][4]   vector s, lane r byte b: bits 2g..2g+1 = q of element 16s + 4g + b
// 1056 bytes, the same size as the 16 file blocks.
// TQ1_0 (five base-3 digits per byte, see quant_iq_decode.h; the kernel extracts them):
//   d[16]               fp16 per row
//   qs[12][16][4]       vector j, lane r: row r's qs[4j..4j+3] (digit n of byte qs[m]: element
//                       32n + m for m < 32, 160 + 16n + (m - 32) for m >= 32)
//   qh[16][4]           lane r: row r's qh[0..3] (digit n of qh[m], n < 4: element 240 + 4n + m)
// 864 bytes, the same size as the 16 file blocks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kTernaryBlockBytes = 32 + 1024;
inline constexpr size_t kTQ1BlockBytes = 32 + 768 + 64;

size_t group_bytes_tq2_0(int64_t cols);
size_t group_bytes_tq1_0(int64_t cols);
void pack_tq2_0(const void* rows, size_t row_stride, int64_t cols, void* dst);
void pack_tq1_0(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernels (repack_ternary_avx512.cpp); contract as RepackKernels::tile.
void tile_ternary_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                         size_t out_stride);
void tile_tq1_0_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride);

}  // namespace airlock::repack_lanes
