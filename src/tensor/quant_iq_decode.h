// The sub-4-bit i-quants and the ternary types in integer form: each 256-element block becomes
// int8 quants, sixteen small integer scales (one per 16 elements) and one float factor, so that
// element e is d * scale[e / 16] * q[e]. Dequantisation and the scalar dot products both start
// here; the factors are arranged so the floats equal the reference's (powers of two moved into d).
// Static functions: per-ISA kernel files include this header too (see quant_k_scales.h).
#pragma once
#include <cstdint>
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_iq_grids.h"

namespace airlock::quant {

struct DecodedBlock {
  float d;
  int16_t scale[kQK_K / 16];
  int8_t q[kQK_K];
};

// Eight grid bytes (as int8) into q, negated where neg has 0xff.
static inline void put8(int8_t* q, uint64_t grid, uint64_t neg) {
  for (int j = 0; j < 8; ++j) {
    const auto v = static_cast<int8_t>(grid >> (8 * j));
    q[j] = static_cast<int8_t>((neg >> (8 * j)) & 1 ? -v : v);
  }
}

static inline void set_scales(DecodedBlock& o, int ib, int lo, int hi) {
  o.scale[2 * ib] = static_cast<int16_t>(lo);
  o.scale[2 * ib + 1] = static_cast<int16_t>(hi);
}

// The float factor d of each format (the half scale with the format's power of two folded in).
static inline float block_scale(const BlockIQ2_XXS& b) { return fp16::half_to_float(b.d) * 0.125f; }
static inline float block_scale(const BlockIQ2_XS& b) { return fp16::half_to_float(b.d) * 0.125f; }
static inline float block_scale(const BlockIQ2_S& b) { return fp16::half_to_float(b.d) * 0.125f; }
static inline float block_scale(const BlockIQ3_XXS& b) { return fp16::half_to_float(b.d) * 0.25f; }
static inline float block_scale(const BlockIQ3_S& b) { return fp16::half_to_float(b.d); }
static inline float block_scale(const BlockIQ1_S& b) { return fp16::half_to_float(b.d) * 0.125f; }
static inline float block_scale(const BlockTQ1_0& b) { return fp16::half_to_float(b.d); }
static inline float block_scale(const BlockTQ2_0& b) { return fp16::half_to_float(b.d); }
// IQ1_M's half is the top nibbles of its four scale words.
static inline float block_scale(const BlockIQ1_M& b) {
  uint16_t sc[4];
  std::memcpy(sc, b.scales, 8);
  const auto d = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0xf0) | ((sc[2] >> 4) & 0xf00) | (sc[3] & 0xf000));
  return fp16::half_to_float(d) * 0.125f;
}

// IQ2_XXS: per 32 elements two words: four 8-bit grid indices, then four 7-bit sign indices and a
// 4-bit scale s (value d * (s + 1/2) / 4 * grid).
static inline void decode(const BlockIQ2_XXS& b, DecodedBlock& o) {
  o.d = block_scale(b);
  for (int ib = 0; ib < 8; ++ib) {
    uint32_t aux[2];
    std::memcpy(aux, b.qs + 4 * ib, 8);
    const int s = 2 * static_cast<int>(aux[1] >> 28) + 1;
    set_scales(o, ib, s, s);
    for (int l = 0; l < 4; ++l)
      put8(o.q + 32 * ib + 8 * l, kIQ2XXSGrid[(aux[0] >> (8 * l)) & 0xff], kSignMask[(aux[1] >> (7 * l)) & 127]);
  }
}

// IQ2_XS: one 16-bit word per 8 elements (9-bit grid index, 7-bit sign index), 4-bit scales per 16.
static inline void decode(const BlockIQ2_XS& b, DecodedBlock& o) {
  o.d = block_scale(b);
  for (int ib = 0; ib < 8; ++ib) {
    set_scales(o, ib, 2 * (b.scales[ib] & 0xf) + 1, 2 * (b.scales[ib] >> 4) + 1);
    for (int l = 0; l < 4; ++l) {
      const uint16_t w = b.qs[4 * ib + l];
      put8(o.q + 32 * ib + 8 * l, kIQ2XSGrid[w & 511], kSignMask[w >> 9]);
    }
  }
}

// IQ2_S: 10-bit grid indices (low 8 bits in qs[0..31], top 2 in qh), all 8 sign bits in qs[32..63].
static inline void decode(const BlockIQ2_S& b, DecodedBlock& o) {
  o.d = block_scale(b);
  const uint8_t* signs = b.qs + kQK_K / 8;
  for (int ib = 0; ib < 8; ++ib) {
    set_scales(o, ib, 2 * (b.scales[ib] & 0xf) + 1, 2 * (b.scales[ib] >> 4) + 1);
    for (int l = 0; l < 4; ++l) {
      const int idx = b.qs[4 * ib + l] | ((b.qh[ib] << (8 - 2 * l)) & 0x300);
      put8(o.q + 32 * ib + 8 * l, kIQ2SGrid[static_cast<size_t>(idx)], kByteMask[signs[4 * ib + l]]);
    }
  }
}

// IQ3_XXS: 64 bytes of 8-bit grid indices (4 elements each), then per 32 elements one word of four
// 7-bit sign indices and a 4-bit scale (value d * (s + 1/2) / 2 * grid).
static inline void decode(const BlockIQ3_XXS& b, DecodedBlock& o) {
  o.d = block_scale(b);
  const uint8_t* qs = b.qs;
  for (int ib = 0; ib < 8; ++ib) {
    uint32_t aux;
    std::memcpy(&aux, b.qs + kQK_K / 4 + 4 * ib, 4);
    const int s = 2 * static_cast<int>(aux >> 28) + 1;
    set_scales(o, ib, s, s);
    for (int l = 0; l < 4; ++l) {
      const uint64_t grid = kIQ3XXSGrid[qs[8 * ib + 2 * l]] | uint64_t{kIQ3XXSGrid[qs[8 * ib + 2 * l + 1]]} << 32;
      put8(o.q + 32 * ib + 8 * l, grid, kSignMask[(aux >> (7 * l)) & 127]);
    }
  }
}

// IQ3_S: 9-bit grid indices (top bits in qh, one byte per 32 elements), 8 sign bits per 8
// elements, 4-bit scales per 32 (value d * (2s + 1) * grid).
static inline void decode(const BlockIQ3_S& b, DecodedBlock& o) {
  o.d = block_scale(b);
  for (int ib = 0; ib < 8; ++ib) {
    const int s = 2 * ((b.scales[ib / 2] >> (4 * (ib % 2))) & 0xf) + 1;
    set_scales(o, ib, s, s);
    const uint8_t* qs = b.qs + 8 * ib;
    const int qh = b.qh[ib];
    for (int l = 0; l < 4; ++l) {
      const int i1 = qs[2 * l] | ((qh << (8 - 2 * l)) & 256);
      const int i2 = qs[2 * l + 1] | ((qh << (7 - 2 * l)) & 256);
      const uint64_t grid = kIQ3SGrid[static_cast<size_t>(i1)] | uint64_t{kIQ3SGrid[static_cast<size_t>(i2)]} << 32;
      put8(o.q + 32 * ib + 8 * l, grid, kByteMask[b.signs[4 * ib + l]]);
    }
  }
}

// The IQ1 grids hold -1, 0, +1; values are grid +- 1/8, kept as integers 8 * grid +- 1 (d / 8).
static inline void put8_iq1(int8_t* q, uint64_t grid, int delta) {
  for (int j = 0; j < 8; ++j) q[j] = static_cast<int8_t>(8 * static_cast<int8_t>(grid >> (8 * j)) + delta);
}

// IQ1_S: per 32 elements a 16-bit word: four 3-bit index tops, a 3-bit scale, the delta's sign.
static inline void decode(const BlockIQ1_S& b, DecodedBlock& o) {
  o.d = block_scale(b);
  for (int ib = 0; ib < 8; ++ib) {
    const int qh = b.qh[ib];
    const int s = 2 * ((qh >> 12) & 7) + 1;
    set_scales(o, ib, s, s);
    const int delta = qh & 0x8000 ? -1 : 1;
    for (int l = 0; l < 4; ++l) {
      const int idx = b.qs[4 * ib + l] | (((qh >> (3 * l)) & 7) << 8);
      put8_iq1(o.q + 32 * ib + 8 * l, kIQ1SGrid[static_cast<size_t>(idx)], delta);
    }
  }
}

// IQ1_M: 3-bit scales per 16 elements in the low 12 bits of four words whose top nibbles hold the
// half scale; per 8 elements a 3-bit index top and the delta's sign in a nibble of qh.
static inline void decode(const BlockIQ1_M& b, DecodedBlock& o) {
  uint16_t sc[4];
  std::memcpy(sc, b.scales, 8);
  o.d = block_scale(b);
  for (int ib = 0; ib < 8; ++ib) {
    const int bits = sc[ib / 2] >> (6 * (ib % 2));
    set_scales(o, ib, 2 * (bits & 7) + 1, 2 * ((bits >> 3) & 7) + 1);
    for (int l = 0; l < 4; ++l) {
      const int nibble = (b.qh[2 * ib + l / 2] >> (4 * (l % 2))) & 0xf;
      const int idx = b.qs[4 * ib + l] | ((nibble & 7) << 8);
      put8_iq1(o.q + 32 * ib + 8 * l, kIQ1SGrid[static_cast<size_t>(idx)], nibble & 8 ? -1 : 1);
    }
  }
}

// TQ1_0: five trits per byte as the fraction byte/256 in base 3 (trit n = top digit of byte*3^n).
// Bytes 0-31 give elements n*32 + m, bytes 32-47 give 160 + n*16 + m, qh gives 240 + n*4 + m.
static inline int trit(uint8_t byte, int n) {
  static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  const auto q = static_cast<uint8_t>(byte * kPow3[n]);
  return ((q * 3) >> 8) - 1;
}

static inline void decode(const BlockTQ1_0& b, DecodedBlock& o) {
  o.d = block_scale(b);
  for (auto& s : o.scale) s = 1;
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 32; ++m) o.q[32 * n + m] = static_cast<int8_t>(trit(b.qs[m], n));
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 16; ++m) o.q[160 + 16 * n + m] = static_cast<int8_t>(trit(b.qs[32 + m], n));
  for (int n = 0; n < 4; ++n)
    for (int m = 0; m < 4; ++m) o.q[240 + 4 * n + m] = static_cast<int8_t>(trit(b.qh[m], n));
}

// TQ2_0: 2-bit values minus 1; byte 32*h + m holds elements 128*h + 32*l + m in bits 2l, 2l+1.
static inline void decode(const BlockTQ2_0& b, DecodedBlock& o) {
  o.d = block_scale(b);
  for (auto& s : o.scale) s = 1;
  for (int e = 0; e < kQK_K; ++e)
    o.q[e] = static_cast<int8_t>(((b.qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3) - 1);
}

// MXFP4's shared exponent as a float, halved to match the doubled kMXFP4Values: 2^(e - 128).
static inline float e8m0_half(uint8_t e) {
  const uint32_t bits = e < 2 ? 0x00200000u << e : static_cast<uint32_t>(e - 1) << 23;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace airlock::quant
