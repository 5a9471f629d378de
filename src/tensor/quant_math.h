// Small numeric helpers shared by the quantizers, with the exact rounding the reference uses.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "tensor/fp16.h"

namespace airlock::quant {

// Round to nearest, ties to even, the way llama.cpp's nearest_int does it: adding 1.5 * 2^23
// leaves the rounded integer in the low mantissa bits. Exact for |x| < 2^22; beyond that it gives
// the reference's (meaningless) value rather than ours, and it is inline where nearbyint is a call.
inline int nearest_int(float x) {
  const float biased = x + 12582912.f;
  int32_t bits;
  std::memcpy(&bits, &biased, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

inline float h2f(uint16_t h) { return fp16::half_to_float(h); }
inline uint16_t f2h(float x) { return fp16::float_to_half(x); }

}  // namespace airlock::quant
