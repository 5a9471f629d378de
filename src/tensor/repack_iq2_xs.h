// Packed ("rows in lanes", see repack.h) layout of IQ2_XS against Q8_K activations. IQ2_XS stores
// per 8 elements one 16-bit word: a 9-bit index into a 512-entry grid of eight values 8, 25, 43
// and a 7-bit sign code whose eighth sign is the parity of the seven; scales 2s + 1 per 16
// elements. As for IQ2_S (repack_iq2_s.h) the indices stay indices and the lattice tile kernel
// (repack_lattice_avx512.h) looks up the grid bytes. The signs are stored decoded, as the byte masks the tile applies with one masked
// subtraction: working out the parity bit in the kernel would cost about ten instructions per
// 8-element group on the path decode takes too, for 4.5% more bytes to read. Unpacking to signed
// int8 would be 3.5 times the file's size, and decode reads every packed byte once per token.
// Per 256-column block of a 16-row group:
//   d[16]            fp16 per row (lane r = row r)
//   scales[8][16]    the file's scale byte p of row r (low nibble: sub-block 2p, high: 2p + 1)
//   low[32][16]      low 8 bits of the grid index of elements 8g..8g+7 of row r
//   high[32]         uint16: bit r = the index's ninth bit for row r
//   signs[32][2]     uint64: half h, bit 4r + j = sign of element 8g + 4h + j of row r
// 1248 bytes for 16 IQ2_XS blocks (1184 in the file, +5.4%).
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kIQ2XSBlockBytes = 32 + 128 + 512 + 64 + 512;

size_t group_bytes_iq2_xs(int64_t cols);
void pack_iq2_xs(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernel (repack_iq2_xs_avx512.cpp); contract as RepackKernels::tile.
void tile_iq2_xs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                        size_t out_stride);

}  // namespace airlock::repack_lanes
