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

// The second halves alone, for quantizers that set the block's scale codes their own way (the
// importance-weighted ones, quant_weighted.cpp): each gives every element its level under the
// scales as stored (requantising) and packs the levels.
void finish_q2_K(const float* x, uint8_t* L, BlockQ2_K& b);  // needs scales, d, dmin
void finish_q3_K(const float* x, int8_t* L, BlockQ3_K& b);   // needs scales, d
void finish_q6_K(const float* x, int8_t* L, BlockQ6_K& b);   // needs scales, d
// Q4_K/Q5_K: requantize_k4 gives the levels 0..max_level under scales, d and dmin (a sub-block
// whose scale is zero keeps its levels in L); store_*_levels packs them.
template <class Block>
void requantize_k4(const float* x, int max_level, uint8_t* L, const Block& b);
void store_q4_K_levels(const uint8_t* L, BlockQ4_K& b);
void store_q5_K_levels(const uint8_t* L, BlockQ5_K& b);
// Sub-block j's 6-bit scale ls and min lm into a Q4_K/Q5_K block's 12 scale bytes (zeroed first
// for j >= 4's shared bytes by writing j < 4 first).
void put_scale_min_k4(int j, uint8_t ls, uint8_t lm, uint8_t* out);
// Sub-block j's 6-bit scale code l (stored +32) into a Q3_K block's 12 zeroed scale bytes.
void put_q3_scale(int j, int l, uint8_t* scales);

}  // namespace airlock::quant
