// Repacked ("rows in lanes") weight groups for Q6_K, Q8_0, Q4_0, Q5_0 and IQ4_NL: 16 weight rows interleaved so
// that one 64-byte load holds 4 consecutive quants of every row (lane r = row r), and an AVX-512
// VNNI tile kernel computing those 16 rows against up to 8 activation rows with vpdpbusd and no
// horizontal reductions. Packed groups keep the original GGUF size (16 rows' worth of blocks).
//
// Group layouts, per block (Q8_0/Q4_0/Q5_0: 32 columns; Q6_K: 256 columns), in column order:
//   Q4_0: 16 fp16 scales | 4 x 64 bytes: vector j, lane r = row r's qs[4j..4j+3] unchanged (low
//         nibbles: elements 4j.., high nibbles: elements 16+4j..)
//   IQ4_NL: as Q4_0 (the nibbles are codebook indices)
//   Q5_0: 16 fp16 scales | 64 bytes of fifth bits (lane r byte i, bits 2j/2j+1: the elements
//         whose nibbles are byte i of vector j) | 4 x 64 bytes of nibbles as Q4_0
//   Q8_0: 16 fp16 scales | 8 x 64 bytes: vector k, lane r = row r's qs[4k..4k+3] + 128 (as u8)
//   Q6_K: 16 fp16 scales | 8 x 32 bytes: sub-block scales, pair p lane r = row r's scales
//         [2p], [2p+1] | 32 x 64 bytes 4-bit plane | 16 x 64 bytes 2-bit plane (see repack_q6_K.cpp)
#pragma once
#include <cstddef>
#include <cstdint>

#include "tensor/repack.h"

namespace airlock::kernels {

// Their rows in the repack table (repack.cpp); kRepackRows and kMaxTileTokens come from repack.h.

// Bytes of one packed group of 16 rows of `cols` elements. Throws airlock::Error when cols is not
// a positive whole number of the type's blocks.
size_t q6_K_x16_group_bytes(int64_t cols);
size_t q8_0_x16_group_bytes(int64_t cols);
size_t q4_0_x16_group_bytes(int64_t cols);
size_t q5_0_x16_group_bytes(int64_t cols);
size_t iq4_nl_x16_group_bytes(int64_t cols);

// Packs 16 rows (row r at rows + r * row_stride, GGUF block layout) into one group at dst
// (q*_x16_group_bytes(cols) bytes). Throws airlock::Error for bad cols.
void q6_K_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst);
void q8_0_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst);
void q4_0_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst);
void q5_0_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst);
void iq4_nl_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst);

// out[t * out_stride + r] = dot(row r, activation t) for r < 16 and t < n_tokens (1..8 in one
// pass over the weights; more run as passes of 8, n_tokens <= 0 does nothing). Activations are
// rows of the weight type's vec_dot_type (Q8_K for Q6_K, Q8_0 for the others), a_stride bytes apart. Preconditions (not checked: hot path): cols as the group was packed with,
// the CPU runs CpuPath::Avx512.
void q6_K_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                          float* out, size_t out_stride);
void q8_0_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                          float* out, size_t out_stride);
void q4_0_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                          float* out, size_t out_stride);
void q5_0_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                          float* out, size_t out_stride);
void iq4_nl_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                            float* out, size_t out_stride);

}  // namespace airlock::kernels
