// The two halves of the K-quant quantizers, so that a SIMD scale search (quant_k_search_avx2.cpp)
// can share the rest with the scalar one: each super-block's search gives sub-block scales (and
// mins) and quants L; pack_* turns them into the stored block exactly as the reference does
// (scales quantized against the half-precision factors, quants recomputed from the stored scales).
// L is scratch afterwards.
#pragma once
#include <cstdint>

#include "tensor/quant_blocks.h"

namespace airlock::quant {

// The per-32 weights the reference uses for the Q4_K/Q5_K searches: rms of the sub-block plus |x|.
void rms_weights(const float* x, float* weights);

// Q2_K: 16 scales and 16 mins (>= 0, the negated offsets) of 16 elements each.
void pack_q2_K(const float* x, const float* scales, const float* mins, uint8_t* L, BlockQ2_K& b);
// Q3_K: 16 signed scales of 16 elements each; L holds quant + 4.
void pack_q3_K(const float* x, const float* scales, int8_t* L, BlockQ3_K& b);
// Q4_K / Q5_K: 8 scales and 8 mins of 32 elements each.
void pack_q4_K(const float* x, const float* scales, const float* mins, uint8_t* L, BlockQ4_K& b);
void pack_q5_K(const float* x, const float* scales, const float* mins, uint8_t* L, BlockQ5_K& b);
// Q6_K: 16 signed scales of 16 elements each; L holds quant + 32.
void pack_q6_K(const float* x, const float* scales, int8_t* L, BlockQ6_K& b);

}  // namespace airlock::quant
