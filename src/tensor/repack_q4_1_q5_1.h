// Packed ("rows in lanes", see repack.h) layouts of Q4_1 and Q5_1: unsigned quants with a scale
// and a minimum per 32 elements, against Q8_1 activations (whose s = d * sum(qs) carries the
// minimum's term, so the quants go to vpdpbusd as they are, with no offset). Per 32-column block
// of a 16-row group:
//   d[16], m[16]        fp16 per row (lane r = row r)
//   Q5_1 only: bits[16][4]  fifth bits, laid out as Q5_0's (repack_q6_K_legacy.h): byte i of row
//                       r's dword holds at bits 2j / 2j+1 the fifth bits of the elements in byte i
//                       of nibble vector j
//   nibbles[4][16][4]   vector j, lane r: the row's qs[4j..4j+3] as in the file (low nibbles:
//                       elements 4j.., high nibbles: 16+4j..)
// The same size as the 16 file blocks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

size_t group_bytes_q4_1(int64_t cols);
size_t group_bytes_q5_1(int64_t cols);
void pack_q4_1(const void* rows, size_t row_stride, int64_t cols, void* dst);
void pack_q5_1(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernels (repack_q4_1_q5_1_avx512.cpp); contract as RepackKernels::tile.
void tile_q4_1_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride);
void tile_q5_1_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                      size_t out_stride);

}  // namespace airlock::repack_lanes
