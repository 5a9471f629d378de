#include "tensor/fp16.h"

#include <bit>
#include <cstring>

namespace airlock::fp16 {

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t man = h & 0x3ff;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (man << 13));  // Inf/NaN
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112) << 23) | (man << 13));
  // Zero or subnormal: man * 2^-24 is exact in float.
  const float mag = static_cast<float>(man) * 0x1p-24f;
  return sign ? -mag : mag;
}

uint16_t float_to_half(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return sign | 0x7e00 | static_cast<uint16_t>((ax >> 13) & 0x3ff);  // quiet NaN
  if (ax >= 0x477ff000u) return sign | 0x7c00;  // rounds past 65504: Inf
  if (ax >= 0x38800000u) {                      // normal half
    // Rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even; a carry out
    // of the mantissa correctly bumps the exponent.
    const uint32_t r = ax - 0x38000000u;
    const uint32_t rounded = r + 0x0fffu + ((r >> 13) & 1);
    return sign | static_cast<uint16_t>(rounded >> 13);
  }
  // Subnormal half (or zero): value = m * 2^-24 with m rounded to nearest even.
  const int e = static_cast<int>(ax >> 23);  // biased float exponent, < 113 here
  if (e < 102) return sign;                  // below half of the smallest subnormal
  const uint32_t man = (ax & 0x7fffff) | 0x800000;
  const int shift = 126 - e;  // man * 2^(e-150) / 2^-24 = man >> (126 - e)
  const uint32_t half = 1u << (shift - 1);
  const uint32_t rest = man & ((1u << shift) - 1);
  uint32_t m = man >> shift;
  if (rest > half || (rest == half && (m & 1))) ++m;
  return sign | static_cast<uint16_t>(m);
}

float bf16_to_float(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

uint16_t float_to_bf16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40);  // quiet NaN
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

void f32_to_f32_row(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * 4); }
void f32_from_f32_row(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * 4); }

void f16_to_f32_row(const void* src, float* dst, int64_t n) {
  const auto* s = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, s + 2 * i, 2);
    dst[i] = half_to_float(h);
  }
}

void f16_from_f32_row(const float* src, void* dst, int64_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = float_to_half(src[i]);
    std::memcpy(d + 2 * i, &h, 2);
  }
}

void bf16_to_f32_row(const void* src, float* dst, int64_t n) {
  const auto* s = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, s + 2 * i, 2);
    dst[i] = bf16_to_float(h);
  }
}

void bf16_from_f32_row(const float* src, void* dst, int64_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = float_to_bf16(src[i]);
    std::memcpy(d + 2 * i, &h, 2);
  }
}

}  // namespace airlock::fp16
