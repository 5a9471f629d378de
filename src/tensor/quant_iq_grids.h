// The lattice grids of the IQ1/IQ2/IQ3 formats and the sign patterns they share: facts of the
// GGUF format (see scripts/gen_iq_grid_codes.py for where the values come from). Each grid entry
// packs 8 (IQ1/IQ2) or 4 (IQ3) byte values, element 0 in the lowest byte.
#pragma once
#include <array>
#include <cstdint>

namespace airlock::quant {

extern const std::array<uint64_t, 256> kIQ2XXSGrid;   // bytes 8, 25, 43
extern const std::array<uint64_t, 512> kIQ2XSGrid;    // bytes 8, 25, 43
extern const std::array<uint64_t, 1024> kIQ2SGrid;    // bytes 8, 25, 43
extern const std::array<uint32_t, 256> kIQ3XXSGrid;   // bytes 4, 12, ..., 52, 62
extern const std::array<uint32_t, 512> kIQ3SGrid;     // bytes 1, 3, ..., 15
extern const std::array<uint64_t, 2048> kIQ1SGrid;    // int8 -1, 0, +1
// kIQ1SGrid as 8 * (grid + 1), bytes 0, 8, 16: room below for the delta + 1 (0 or 2) of the
// packed kernel's unsigned bytes (repack_iq1_avx512.cpp).
extern const std::array<uint64_t, 2048> kIQ1SGridUnsigned;

// IQ2_XXS, IQ2_XS and IQ3_XXS store 7 sign bits per 8 elements; the eighth makes the number of
// minus signs even. kSignMask[i] has byte j = 0xff where element j is negated.
extern const std::array<uint64_t, 128> kSignMask;

// Byte j = 0xff where bit j of the 8-bit sign byte is set (IQ2_S, IQ3_S store all 8 bits).
extern const std::array<uint64_t, 256> kByteMask;

}  // namespace airlock::quant
