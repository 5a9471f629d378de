// Packed ("rows in lanes", see repack.h) layouts of IQ1_S and IQ1_M against Q8_K activations.
// Both store per 8 elements an 11-bit index into a 2048-entry grid of -1/0/+1 bytes and a delta
// sign; an element is d / 8 * scale * (8 * grid + delta), delta = +-1, scale = 2s + 1 (3-bit s).
// As for IQ2_S (repack_iq2_s.h) the indices stay indices: the kernel loads each row's grid
// bytes as u = 8 * grid + delta + 9 (0..18), so vpdpbusd takes them unsigned; the 9 comes back
// off through the activations' bsums. Per 256-column block of a 16-row group:
// IQ1_S (scale and delta sign per 32 elements):
//   d[16]          fp16 per row (lane r = row r)
//   low[32][16]    low 8 bits of the grid index of elements 8g..8g+7 of row r
//   qh[8][16]      uint16: the file's word of elements 32b..32b+31 of row r (bits 3l..3l+2: the
//                  index's top bits for group 4b + l; bits 12-14: s; bit 15: delta negative)
// 800 bytes, the same size as the 16 file blocks.
// IQ1_M (scale per 16 elements, delta sign per 8):
//   d[16]          fp16 per row, joined from the top nibbles of the row's scale words
//   low[32][16]    as IQ1_S
//   high[16][16]   row r's file nibbles of groups 2p (low) and 2p + 1 (high): bits 0-2 the
//                  index's top bits, bit 3 delta negative
//   scales[8][16]  row r's 3-bit s of sub-blocks 2b (low nibble) and 2b + 1 (high nibble), as
//                  the lattice formats' scales (repack_lattice_avx512.h)
// 928 bytes, 16 more than the 16 file blocks (the d nibbles are joined into a half).
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kIQ1SBlockBytes = 32 + 512 + 256;
inline constexpr size_t kIQ1MBlockBytes = 32 + 512 + 256 + 128;

size_t group_bytes_iq1_s(int64_t cols);
size_t group_bytes_iq1_m(int64_t cols);
void pack_iq1_s(const void* rows, size_t row_stride, int64_t cols, void* dst);
void pack_iq1_m(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernels (repack_iq1_avx512.cpp); contract as RepackKernels::tile.
void tile_iq1_s_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride);
void tile_iq1_m_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride);

}  // namespace airlock::repack_lanes
