// Scale decoding shared by the K-quant formats and their dot-product kernels.
// The helpers are static (internal linkage) on purpose: the per-ISA kernel files include this
// header with AVX flags, and a shared inline definition could let the linker pick an AVX-compiled
// copy for the scalar code.
#pragma once
#include <cstdint>
#include <cstring>

namespace airlock::quant {

// Q4_K/Q5_K pack eight 6-bit scales and eight 6-bit mins into 12 bytes: sub-blocks 0-3 use the
// low 6 bits of bytes 0-3 (scale) and 4-7 (min); sub-blocks 4-7 keep their low nibbles in bytes
// 8-11 and their top two bits in the spare top bits of bytes 0-7.
static inline void get_scale_min_k4(int j, const uint8_t* q, int& sc, int& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// All eight scales (bytes 0-7 of out) and mins (bytes 8-15) of a Q4_K/Q5_K block at once, by
// moving the 2-bit top parts of sub-blocks 4-7 next to their nibbles four bytes at a time.
static inline void unpack_scale_min_k4(const uint8_t* q, uint8_t* out) {
  uint32_t u[3];
  std::memcpy(u, q, 12);
  const uint32_t low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, low2 = 0x03030303;
  const uint32_t sc03 = u[0] & low6, m03 = u[1] & low6;
  const uint32_t sc47 = (u[2] & low4) | (((u[0] >> 6) & low2) << 4);
  const uint32_t m47 = ((u[2] >> 4) & low4) | (((u[1] >> 6) & low2) << 4);
  const uint32_t r[4] = {sc03, sc47, m03, m47};
  std::memcpy(out, r, 16);
}

// Q3_K: sixteen 6-bit scales (stored +32); low nibbles in bytes 0-7 (sub-blocks j and j+8 share a
// byte), top two bits in bytes 8-11 (byte 8 + j%4, bit pair j/4).
static inline int q3_scale(const uint8_t* s, int j) {
  const int lo = j < 8 ? (s[j] & 0xf) : (s[j - 8] >> 4);
  return (lo | (((s[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
}

// IQ4_XS: 6-bit sub-block scale (stored +32), low nibble in scales_l, top bits in scales_h.
static inline int iq4_xs_scale(const uint8_t* scales_l, uint16_t scales_h, int ib) {
  return (((scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((scales_h >> (2 * ib)) & 3) << 4)) - 32;
}

}  // namespace airlock::quant
