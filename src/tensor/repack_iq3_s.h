// Packed ("rows in lanes", see repack.h) layout of IQ3_S against Q8_K activations. IQ3_S stores
// per 4 elements a 9-bit index into a 512-entry grid of four values 1, 3, ..., 15, a sign bit per
// element and a scale 2s + 1 per 32 elements. Unpacking the grid to int8 would more than double
// the weights (and decode's memory traffic), so the indices stay indices: the lattice tile kernel
// (repack_lattice_avx512.h) looks up each row's four grid bytes (once for every token of the
// call), applies the signs from a byte mask and adds an offset so that vpdpbusd can take them
// unsigned; the offset comes back off through the activations' bsums. Per 256-column block of a
// 16-row group:
//   d[16]            fp16 per row (lane r = row r)
//   scales[8][16]    2s + 1 of 32-element sub-block p of row r
//   low[64][16]      low 8 bits of the grid index of elements 4g..4g+3 of row r
//   high[64]         uint16: bit r = the index's ninth bit for row r
//   signs[64]        uint64: bit 4r + j = sign of element 4g + j of row r (a vpdpbusd byte mask)
// 1824 bytes for 16 IQ3_S blocks (1760 in the file, +3.6%).
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kIQ3SBlockBytes = 32 + 128 + 1024 + 128 + 512;

size_t group_bytes_iq3_s(int64_t cols);
void pack_iq3_s(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernel (repack_iq3_s_avx512.cpp); contract as RepackKernels::tile.
void tile_iq3_s_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride);

}  // namespace airlock::repack_lanes
