// Scalar reference conversions between float rows and quantized blocks, one pair per type.
// The quantizers reproduce llama.cpp's reference quantizers (quantize_row_*_ref) block for block.
// n is always a whole number of blocks (the callers check that via the type table).
#pragma once
#include <cstdint>

namespace airlock::quant {

#define AIRLOCK_QUANT_PAIR(name)                                   \
  void dequantize_##name(const void* src, float* dst, int64_t n); \
  void quantize_##name(const float* src, void* dst, int64_t n);

AIRLOCK_QUANT_PAIR(q4_0)
AIRLOCK_QUANT_PAIR(q4_1)
AIRLOCK_QUANT_PAIR(q5_0)
AIRLOCK_QUANT_PAIR(q5_1)
AIRLOCK_QUANT_PAIR(q8_0)
AIRLOCK_QUANT_PAIR(q8_1)
AIRLOCK_QUANT_PAIR(q2_K)
AIRLOCK_QUANT_PAIR(q3_K)
AIRLOCK_QUANT_PAIR(q4_K)
AIRLOCK_QUANT_PAIR(q5_K)
AIRLOCK_QUANT_PAIR(q6_K)
AIRLOCK_QUANT_PAIR(q8_K)
AIRLOCK_QUANT_PAIR(iq4_nl)
AIRLOCK_QUANT_PAIR(iq4_xs)

#undef AIRLOCK_QUANT_PAIR

// Importance-weighted quantizers (quant_weighted.cpp): llama.cpp's quantizer with an importance
// matrix. One row of n elements (a whole number of blocks); qw holds one importance per column.
#define AIRLOCK_QUANT_WEIGHTED(name) void quantize_##name##_weighted(const float* src, void* dst, int64_t n, const float* qw);
AIRLOCK_QUANT_WEIGHTED(q4_0)
AIRLOCK_QUANT_WEIGHTED(q4_1)
AIRLOCK_QUANT_WEIGHTED(q5_0)
AIRLOCK_QUANT_WEIGHTED(q5_1)
AIRLOCK_QUANT_WEIGHTED(q2_K)
AIRLOCK_QUANT_WEIGHTED(q3_K)
AIRLOCK_QUANT_WEIGHTED(q4_K)
AIRLOCK_QUANT_WEIGHTED(q5_K)
AIRLOCK_QUANT_WEIGHTED(q6_K)
AIRLOCK_QUANT_WEIGHTED(iq4_nl)
AIRLOCK_QUANT_WEIGHTED(iq4_xs)
AIRLOCK_QUANT_WEIGHTED(iq3_xxs)
AIRLOCK_QUANT_WEIGHTED(iq3_s)
// IQ2_XXS, IQ2_XS and IQ2_S (quant_iq2.cpp) exist only weighted: llama.cpp refuses them without a
// matrix.
AIRLOCK_QUANT_WEIGHTED(iq2_xxs)
AIRLOCK_QUANT_WEIGHTED(iq2_xs)
AIRLOCK_QUANT_WEIGHTED(iq2_s)
// IQ1_S and IQ1_M (quant_iq1.cpp), likewise.
AIRLOCK_QUANT_WEIGHTED(iq1_s)
AIRLOCK_QUANT_WEIGHTED(iq1_m)
#undef AIRLOCK_QUANT_WEIGHTED

// IQ3_XXS and IQ3_S (quant_iq3.cpp): lattice searches weighted by x^2, as llama.cpp quantizes them
// without an importance matrix.
void quantize_iq3_xxs(const float* src, void* dst, int64_t n);
void quantize_iq3_s(const float* src, void* dst, int64_t n);

// Read-only formats (quant_iq_low.cpp): airlock computes with them but does not write them.
void dequantize_iq2_xxs(const void* src, float* dst, int64_t n);
void dequantize_iq2_xs(const void* src, float* dst, int64_t n);
void dequantize_iq2_s(const void* src, float* dst, int64_t n);
void dequantize_iq3_xxs(const void* src, float* dst, int64_t n);
void dequantize_iq3_s(const void* src, float* dst, int64_t n);
void dequantize_iq1_s(const void* src, float* dst, int64_t n);
void dequantize_iq1_m(const void* src, float* dst, int64_t n);
void dequantize_tq1_0(const void* src, float* dst, int64_t n);
void dequantize_tq2_0(const void* src, float* dst, int64_t n);
void dequantize_mxfp4(const void* src, float* dst, int64_t n);

// AVX2 activation quantizers: identical blocks to quantize_q8_0 / quantize_q8_K, for CPUs that
// pass the Avx2 path check only.
void quantize_q8_0_avx2(const float* src, void* dst, int64_t n);
void quantize_q8_1_avx2(const float* src, void* dst, int64_t n);
void quantize_q8_K_avx2(const float* src, void* dst, int64_t n);

// AVX2 weight quantizers (quant_k_search_avx2.cpp): identical blocks to quantize_q2_K ... q6_K.
void quantize_q2_K_avx2(const float* src, void* dst, int64_t n);
void quantize_q3_K_avx2(const float* src, void* dst, int64_t n);
void quantize_q4_K_avx2(const float* src, void* dst, int64_t n);
void quantize_q5_K_avx2(const float* src, void* dst, int64_t n);
void quantize_q6_K_avx2(const float* src, void* dst, int64_t n);
// (quant_iq4_search_avx2.cpp): identical blocks to quantize_iq4_nl / quantize_iq4_xs.
void quantize_iq4_nl_avx2(const float* src, void* dst, int64_t n);
void quantize_iq4_xs_avx2(const float* src, void* dst, int64_t n);

}  // namespace airlock::quant
