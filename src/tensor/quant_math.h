// Small numeric helpers shared by the quantizers, with the exact rounding the reference uses.
#pragma once
#include <cmath>

#include "tensor/fp16.h"

namespace airlock::quant {

// Round to nearest, ties to even (what llama.cpp's nearest_int computes for |x| < 2^22).
inline int nearest_int(float x) { return static_cast<int>(std::nearbyint(x)); }

inline float h2f(uint16_t h) { return fp16::half_to_float(h); }
inline uint16_t f2h(float x) { return fp16::float_to_half(x); }

}  // namespace airlock::quant
