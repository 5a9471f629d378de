// The packed layout of Q4_K and Q5_K (they share scales, mins and nibbles; Q5_K adds a bit plane).
// A group of 16 rows is a sequence of packed super-blocks, one per 256 columns:
//   d[16], dmin[16]        fp16 per row (lane r = row r)
//   scales[8][16]          sub-block scale sb of row r, unpacked from the 6-bit encoding
//   mins[4][16][2]         mins of sub-blocks 2j and 2j+1 of row r, side by side: widened to int16
//                          they form the (m0, m1) pair that dpwssd multiplies with a bsums pair
//   qh[8][16][4]           Q5_K only: bytes 4m..4m+3 of row r's qh (bit j: fifth bit of sub-block j)
//   qs[4][8][16][4]        [k][m] = bytes 32k+4m..32k+4m+3 of row r's qs: low nibbles are elements
//                          4m..4m+3 of sub-block 2k, high nibbles the same elements of sub-block 2k+1
// Every part is a whole number of 64-byte lines. 2368 bytes for 16 Q4_K blocks (2304 unpacked,
// +2.8%) and 2880 for Q5_K (2816, +2.3%).
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_k4 {

inline constexpr size_t kD = 0, kDmin = 32, kScales = 64, kMins = 192, kHeader = 320;
inline constexpr size_t kQhBytes = 512;   // Q5_K's bit plane
inline constexpr size_t kQsBytes = 2048;  // 32 vectors of 64 bytes

constexpr size_t superblock_bytes(bool q5) { return kHeader + (q5 ? kQhBytes : 0) + kQsBytes; }

size_t group_bytes_q4_K(int64_t cols);
size_t group_bytes_q5_K(int64_t cols);
void pack_q4_K(const void* rows, size_t row_stride, int64_t cols, void* dst);
void pack_q5_K(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernels (repack_q4_K_avx512.cpp).
void tile_q4_K_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride);
void tile_q5_K_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride);

}  // namespace airlock::repack_k4
