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
// Uses F16C when the active CPU path is AVX2 or above (the KV cache is F16: attention converts
// every cached row it reads).
void f16_to_f32_row(const void* src, float* dst, int64_t n);
void f16_to_f32_row_avx2(const void* src, float* dst, int64_t n);
void f16_from_f32_row(const float* src, void* dst, int64_t n);
void bf16_to_f32_row(const void* src, float* dst, int64_t n);
void bf16_from_f32_row(const float* src, void* dst, int64_t n);

}  // namespace airlock::fp16
