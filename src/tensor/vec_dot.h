// Dot products of one weight row with one activation row already converted to the weight type's
// vec_dot_type (see the type table). One set of kernels per instruction-set path; each ISA lives
// in its own .cpp compiled with that ISA's flags, and only runs after runtime detection.
#pragma once
#include <cstdint>

namespace airlock::kernels {

// n elements (a whole number of blocks); w: weight blocks; a: activation blocks.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);

#define AIRLOCK_VEC_DOTS(isa)                                          \
  float f32_f32_##isa(int64_t n, const void* w, const void* a);       \
  float f16_f32_##isa(int64_t n, const void* w, const void* a);       \
  float q4_0_q8_0_##isa(int64_t n, const void* w, const void* a);     \
  float q8_0_q8_0_##isa(int64_t n, const void* w, const void* a);     \
  float q4_K_q8_K_##isa(int64_t n, const void* w, const void* a);     \
  float q6_K_q8_K_##isa(int64_t n, const void* w, const void* a);

AIRLOCK_VEC_DOTS(scalar)
AIRLOCK_VEC_DOTS(avx2)
AIRLOCK_VEC_DOTS(avx512)
#undef AIRLOCK_VEC_DOTS

// Scalar only so far.
float bf16_f32_scalar(int64_t n, const void* w, const void* a);
float q4_1_q8_1_scalar(int64_t n, const void* w, const void* a);
float q5_0_q8_0_scalar(int64_t n, const void* w, const void* a);
float q5_1_q8_1_scalar(int64_t n, const void* w, const void* a);
float iq4_nl_q8_0_scalar(int64_t n, const void* w, const void* a);
float q2_K_q8_K_scalar(int64_t n, const void* w, const void* a);
float q3_K_q8_K_scalar(int64_t n, const void* w, const void* a);
float q5_K_q8_K_scalar(int64_t n, const void* w, const void* a);
float iq4_xs_q8_K_scalar(int64_t n, const void* w, const void* a);

}  // namespace airlock::kernels
