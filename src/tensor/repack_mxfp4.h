// Packed ("rows in lanes", see repack.h) layout of MXFP4 against Q8_0 activations. Its 4-bit
// E2M1 codes index the doubled values of kMXFP4Values (integers -12..12, so vpdpbusd can take them
// after a byte shuffle, as IQ4_NL's codebook); the per-block E8M0 exponent becomes a float scale
// in the kernel. Per 32-column block of a 16-row group:
//   e[16]          the E8M0 exponent byte of row r
//   quants[4][16]  vector j, lane r: row r's qs[4j..4j+3] unchanged (low nibbles: elements
//                  4j..4j+3, high nibbles: 16+4j..)
// 272 bytes, the same size as the 16 file blocks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kMXFP4BlockBytes = 16 + 256;

size_t group_bytes_mxfp4(int64_t cols);
void pack_mxfp4(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernel (repack_mxfp4_avx512.cpp); contract as RepackKernels::tile.
void tile_mxfp4_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride);

}  // namespace airlock::repack_lanes
