// Dot products of one weight row with one activation row already converted to the weight type's
// vec_dot_type (see the type table). One set of kernels per instruction-set path; each ISA lives
// in its own .cpp compiled with that ISA's flags, and only runs after runtime detection.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::kernels {

// n elements (a whole number of blocks); w: weight blocks; a: activation blocks.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);

// Dots of one weight row with `count` (1..kMaxMultiDot) activation rows a_stride bytes apart, into
// out[0..count): the weight blocks are loaded and unpacked once for all of them (prompt processing).
using VecDotMultiFn = void (*)(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out);
inline constexpr int kMaxMultiDot = 8;

#define AIRLOCK_VEC_DOTS(isa)                                          \
  float f32_f32_##isa(int64_t n, const void* w, const void* a);       \
  float f16_f32_##isa(int64_t n, const void* w, const void* a);       \
  float q4_0_q8_0_##isa(int64_t n, const void* w, const void* a);     \
  float q8_0_q8_0_##isa(int64_t n, const void* w, const void* a);     \
  float q4_K_q8_K_##isa(int64_t n, const void* w, const void* a);     \
  float q6_K_q8_K_##isa(int64_t n, const void* w, const void* a);     \
  float q5_K_q8_K_##isa(int64_t n, const void* w, const void* a);

AIRLOCK_VEC_DOTS(scalar)
AIRLOCK_VEC_DOTS(avx2)
AIRLOCK_VEC_DOTS(avx512)
#undef AIRLOCK_VEC_DOTS

// Multi-token kernels (AVX-512 only so far). None for F16/F32 weights: eight tokens of float
// activations overflow L1, and the per-token kernel measured faster.
void q4_0_q8_0_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out);
void q8_0_q8_0_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out);
void q4_K_q8_K_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out);
void q5_K_q8_K_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out);
void q6_K_q8_K_multi_avx512(int64_t n, const void* w, const void* a, size_t a_stride, int count, float* out);

// Scalar and AVX2 only so far (the AVX-512 path uses the AVX2 kernels).
#define AIRLOCK_VEC_DOTS_NARROW(isa)                               \
  float bf16_f32_##isa(int64_t n, const void* w, const void* a);    \
  float q4_1_q8_1_##isa(int64_t n, const void* w, const void* a);   \
  float q5_0_q8_0_##isa(int64_t n, const void* w, const void* a);   \
  float q5_1_q8_1_##isa(int64_t n, const void* w, const void* a);   \
  float iq4_nl_q8_0_##isa(int64_t n, const void* w, const void* a); \
  float q2_K_q8_K_##isa(int64_t n, const void* w, const void* a);   \
  float q3_K_q8_K_##isa(int64_t n, const void* w, const void* a);   \
  float iq4_xs_q8_K_##isa(int64_t n, const void* w, const void* a);

AIRLOCK_VEC_DOTS_NARROW(scalar)
AIRLOCK_VEC_DOTS_NARROW(avx2)
#undef AIRLOCK_VEC_DOTS_NARROW

// The lattice i-quants, the ternary types (Q8_K activations) and MXFP4 (Q8_0).
#define AIRLOCK_VEC_DOTS_LATTICE(isa)                               \
  float iq2_xxs_q8_K_##isa(int64_t n, const void* w, const void* a); \
  float iq2_xs_q8_K_##isa(int64_t n, const void* w, const void* a);  \
  float iq2_s_q8_K_##isa(int64_t n, const void* w, const void* a);   \
  float iq3_xxs_q8_K_##isa(int64_t n, const void* w, const void* a); \
  float iq3_s_q8_K_##isa(int64_t n, const void* w, const void* a);   \
  float iq1_s_q8_K_##isa(int64_t n, const void* w, const void* a);   \
  float iq1_m_q8_K_##isa(int64_t n, const void* w, const void* a);   \
  float tq1_0_q8_K_##isa(int64_t n, const void* w, const void* a);   \
  float tq2_0_q8_K_##isa(int64_t n, const void* w, const void* a);   \
  float mxfp4_q8_0_##isa(int64_t n, const void* w, const void* a);

AIRLOCK_VEC_DOTS_LATTICE(scalar)
AIRLOCK_VEC_DOTS_LATTICE(avx2)
#undef AIRLOCK_VEC_DOTS_LATTICE

}  // namespace airlock::kernels
