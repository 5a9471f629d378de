// The two halves of the IQ4_NL/IQ4_XS quantizers, so that a SIMD scale search
// (quant_iq4_search_avx2.cpp) shares the rest with the scalar one: the search picks each 32-element
// block's scale, pack_* stores the block(s) exactly as the reference does.
#pragma once

#include "tensor/quant_blocks.h"

namespace airlock::quant {

// The reference's ntry: besides -max/v0, the scales -max/(v0 + k) for k in [-7, 7] are tried.
inline constexpr int kIQ4Tries = 7;

// Best scale for one 32-element block (x ~ d * kIQ4Values[q]), weighted by x^2.
float iq4_block_scale(const float* xb);
// The same search with the given weights (the importance-weighted quantizers).
float iq4_block_scale(const float* xb, const float* weight);

// IQ4_NL: one block of 32 with the scale d.
void pack_iq4_nl(const float* x, float d, BlockIQ4_NL& b);
// IQ4_XS: a super-block of 256 with the eight block scales.
void pack_iq4_xs(const float* x, const float* scales, BlockIQ4_XS& b);

}  // namespace airlock::quant
