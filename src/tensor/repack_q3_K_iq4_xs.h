// Packed ("rows in lanes", see repack.h) layouts of Q3_K and IQ4_XS: both are signed quants with
// one integer scale per 16 (Q3_K) or 32 (IQ4_XS) elements against Q8_K activations, so one tile
// kernel serves both, with the quants stored unsigned (value + offset) for vpdpbusd and the
// offset taken back through the activations' bsums. Per 256-column block of a 16-row group:
//   d[16]                  fp16 per row (lane r = row r)
//   Q3_K:   scales[8][16][2]  int8 scales of sub-blocks 2p and 2p+1 of row r, side by side
//           low[16][16][4]    vector s, lane r byte b: bits 2g..2g+1 = low 2 bits of element
//                             16s + 4g + b
//           high[8][16][4]    vector s/2, lane r byte b: bit 4(s%2) + g = high bit of that element
//           stored value: low + 4 * high (0..7) = quant + 4
//   IQ4_XS: scales[8][16]     int8 scale of 32-element sub-block p of row r
//           nibbles[32][16][4] vector 2s+h, lane r byte b: low nibble = codebook index of element
//                             16s + 4h + b, high nibble = element 16s + 4(h+2) + b
//           stored value: codebook value + 128 (1..241)
// 1824 bytes for 16 Q3_K blocks (1760 unpacked, +3.6%), 2208 for IQ4_XS (2176, +1.5%).
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kQ3KBlockBytes = 32 + 256 + 1024 + 512;
inline constexpr size_t kIQ4XSBlockBytes = 32 + 128 + 2048;

size_t group_bytes_q3_K(int64_t cols);
size_t group_bytes_iq4_xs(int64_t cols);
void pack_q3_K(const void* rows, size_t row_stride, int64_t cols, void* dst);
void pack_iq4_xs(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernels (repack_q3_K_iq4_xs_avx512.cpp); contract as RepackKernels::tile.
void tile_q3_K_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride);
void tile_iq4_xs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                        size_t out_stride);

}  // namespace airlock::repack_lanes
