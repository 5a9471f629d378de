// Random weight blocks of any quantized type, including the ones airlock cannot write: random
// bytes (so every grid index, sign and scale pattern occurs), with each block's float scale fields
// overwritten by a random half of moderate size so values stay finite.
#pragma once
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "tensor/type_traits.h"

namespace airlock::test {

// Byte offsets of the half-precision scale fields in one block, per type (empty: none).
inline std::vector<size_t> half_fields(TensorType t) {
  switch (t) {
    case TensorType::Q4_1: case TensorType::Q5_1: case TensorType::Q4_K: case TensorType::Q5_K: return {0, 2};
    case TensorType::Q4_0: case TensorType::Q5_0: case TensorType::Q8_0: case TensorType::IQ4_NL:
    case TensorType::IQ4_XS: case TensorType::IQ2_XXS: case TensorType::IQ2_XS: case TensorType::IQ2_S:
    case TensorType::IQ3_XXS: case TensorType::IQ3_S: case TensorType::IQ1_S: return {0};
    case TensorType::Q2_K: return {80, 82};
    case TensorType::Q3_K: return {108};
    case TensorType::Q6_K: return {208};
    case TensorType::TQ1_0: return {52};
    case TensorType::TQ2_0: return {64};
    default: return {};
  }
}

// A half in [2^-9, 2^-3) with a random sign and mantissa.
inline uint16_t random_half(std::mt19937& rng) {
  const auto exponent = static_cast<uint16_t>(6 + rng() % 6);  // biased: 2^-9 .. 2^-4
  return static_cast<uint16_t>((rng() % 2) << 15 | exponent << 10 | (rng() & 0x3ff));
}

// n elements (a whole number of blocks) of type t.
inline std::vector<uint8_t> random_blocks(TensorType t, int64_t n, std::mt19937& rng) {
  const auto& tr = type_traits(t);
  std::vector<uint8_t> q(*row_bytes(t, n));
  for (auto& b : q) b = static_cast<uint8_t>(rng());
  for (size_t at = 0; at < q.size(); at += tr.type_size) {
    uint8_t* b = q.data() + at;
    for (size_t off : half_fields(t)) {
      const uint16_t h = random_half(rng);
      std::memcpy(b + off, &h, 2);
    }
    if (t == TensorType::IQ1_M) {
      // The half scale is the top nibbles of the four 16-bit scale words (bytes 48-55).
      const uint16_t h = random_half(rng);
      for (int k = 0; k < 4; ++k) {
        uint16_t w;
        std::memcpy(&w, b + 48 + 2 * k, 2);
        w = static_cast<uint16_t>((w & 0x0fff) | ((h >> (4 * k)) & 0xf) << 12);
        std::memcpy(b + 48 + 2 * k, &w, 2);
      }
    }
    if (t == TensorType::MXFP4) b[0] = static_cast<uint8_t>(118 + rng() % 12);  // 2^-10 .. 2^1
  }
  return q;
}

}  // namespace airlock::test
