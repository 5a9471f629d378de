// IEEE half precision and bfloat16 <-> float, bit-exact (round to nearest even, NaN stays NaN).
#pragma once
#include <cstdint>

namespace airlock::fp16 {

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bf16_to_float(uint16_t h);
uint16_t float_to_bf16(float f);

// Row conversions for the type table (n elements).
void f32_to_f32_row(const void* src, float* dst, int64_t n);
void f32_from_f32_row(const float* src, void* dst, int64_t n);
void f16_to_f32_row(const void* src, float* dst, int64_t n);
// F16C, for the type table's AVX2 path (fp16_avx2.cpp).
void f16_to_f32_row_avx2(const void* src, float* dst, int64_t n);
void f16_from_f32_row(const float* src, void* dst, int64_t n);
void bf16_to_f32_row(const void* src, float* dst, int64_t n);
void bf16_from_f32_row(const float* src, void* dst, int64_t n);

}  // namespace airlock::fp16
