// Packed ("rows in lanes", see repack.h) layouts of IQ2_XXS and IQ3_XXS against Q8_K activations,
// for the lattice tile kernel (repack_lattice_avx512.h). Both store per 32 elements a 32-bit word of
// four 7-bit sign codes (eight signs, the eighth the parity of the seven) and a 4-bit scale s
// (2s + 1 in the kernel); IQ2_XXS has an 8-bit index into a 256-entry grid of eight values 8, 25,
// 43 per 8 elements, IQ3_XXS one into a 256-entry grid of four values 4 .. 62 per 4 elements. The
// indices stay bytes (one load each in the kernel); the signs are stored decoded as byte masks, as
// for IQ2_XS (repack_iq2_xs.h). Per 256-column block of a 16-row group:
//   d[16]            fp16 per row (lane r = row r)
//   scales[4][16]    byte p of row r: s of the row's 32-element sub-blocks 2p (low nibble), 2p + 1
//   idx[G][16]       grid index of row r for group k (IQ2_XXS: G = 32 of 8 elements; IQ3_XXS: 64 of 4)
//   signs[32][2]     uint64: half h, bit 4r + j = sign of element 8g + 4h + j of row r
// IQ2_XXS: 1120 bytes for 16 blocks (1056 in the file, +6.1%); IQ3_XXS: 1632 (1568, +4.1%).
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::repack_lanes {

inline constexpr size_t kIQ2XXSBlockBytes = 32 + 64 + 512 + 512;
inline constexpr size_t kIQ3XXSBlockBytes = 32 + 64 + 1024 + 512;

size_t group_bytes_iq2_xxs(int64_t cols);
void pack_iq2_xxs(const void* rows, size_t row_stride, int64_t cols, void* dst);
size_t group_bytes_iq3_xxs(int64_t cols);
void pack_iq3_xxs(const void* rows, size_t row_stride, int64_t cols, void* dst);

// AVX-512 VNNI tile kernels (repack_iq_xxs_avx512.cpp); contract as RepackKernels::tile.
void tile_iq2_xxs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                         size_t out_stride);
void tile_iq3_xxs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                         size_t out_stride);

}  // namespace airlock::repack_lanes
