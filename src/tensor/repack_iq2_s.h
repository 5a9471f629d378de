// Packed ("rows in lanes", see repack.h) layout of IQ2_S against Q8_K activations. IQ2_S stores
// per 8 elements a 10-bit index into a 1024-entry grid of eight values 8, 25, 43, a sign bit per
// element and a scale 2s + 1 per 16 elements (value d / 8 * (2s + 1) * grid). As for IQ3_S
// (repack_iq3_s.h) the indices stay indices: the lattice tile kernel (repack_lattice_avx512.h)
// looks up each row's grid entry, applies the signs from a byte mask and adds 64 so that vpdpbusd
// can take them unsigned; the 64 comes back off through the activations' bsums. Per 256-column
// block of a 16-row group:
//   d[16]            fp16 per row (lane r = row r)
//   scales[8][16]    the file's scale byte p of row r (low nibble: sub-block 2p, high: 2p + 1)
//   low[32][16]      low 8 bits of the grid index of elements 8g..8g+7 of row r
//   high[32]         uint32: bits 2r, 2r + 1 = the index's top two bits for row r
//   signs[32][2]     uint64: half h, bit 4r + j = sign of element 8g + 4h + j of row r
// 1312 bytes, the same size as the 16 file blocks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kIQ2SBlockBytes = 32 + 128 + 512 + 128 + 512;

size_t group_bytes_iq2_s(int64_t cols);
void pack_iq2_s(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernel (repack_iq2_s_avx512.cpp); contract as RepackKernels::tile.
void tile_iq2_s_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride);

}  // namespace airlock::repack_lanes
