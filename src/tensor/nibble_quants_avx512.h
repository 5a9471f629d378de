// How the packed 4- and 5-bit legacy quants (Q4_0, Q4_1, Q5_0, Q5_1; layouts in
// repack_q6_K_legacy.h and repack_q4_1_q5_1.h) meet one 32-element block of each token's int8
// activations, as unsigned bytes for vpdpbusd. The activation block may be Q8_0 or Q8_1: only its
// qs are read. Inlined into the tile loops: a call per block would spill every accumulator of the
// tile. For the *_avx512*.cpp files only.
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <type_traits>

#include "tensor/simd_avx512.h"

namespace airlock::kernels::avx512 {

// Nibble vector j holds elements 4j..4j+3 of each row in its low nibbles and 16+4j.. in its high.
template <int NT, class Act>
[[gnu::always_inline]] inline void accumulate_nibbles(const uint8_t* quants, const Act* const* a, __m512i* isum) {
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  #pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    const __m512i x = load512(quants + 64 * j);
    const __m512i lo = _mm512_and_si512(x, low4);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), low4);
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      isum[t] = _mm512_dpbusd_epi32(isum[t], lo, broadcast4(a[t]->qs + 4 * j));
      isum[t] = _mm512_dpbusd_epi32(isum[t], hi, broadcast4(a[t]->qs + 16 + 4 * j));
    }
  }
}

// The nibbles follow 64 bytes of fifth bits: byte i of row r's dword holds at bits 2j / 2j+1 the
// fifth bits of the elements in byte i of nibble vector j. Shifting 16-bit lanes moves each wanted
// bit to bit 4 of its own byte (the mask drops what crosses bytes).
template <int J>
[[gnu::always_inline]] inline __m512i shift_to_bit4(__m512i v) {
  if constexpr (J < 0) return _mm512_srli_epi16(v, -J);
  else return _mm512_slli_epi16(v, J);
}

template <int NT, class Act>
[[gnu::always_inline]] inline void accumulate_nibbles_with_fifth_bits(const uint8_t* bits_then_quants, const Act* const* a,
                                                                      __m512i* isum) {
  const __m512i low4 = _mm512_set1_epi8(0x0f), bit4 = _mm512_set1_epi8(0x10);
  const __m512i hb = load512(bits_then_quants);
  const uint8_t* quants = bits_then_quants + 64;
  auto step = [&](auto j_tag, __m512i lo5, __m512i hi5) {
    constexpr int j = decltype(j_tag)::value;
    const __m512i x = load512(quants + 64 * j);
    // a | (b & c): the nibble with its fifth bit.
    const __m512i lo = _mm512_ternarylogic_epi32(_mm512_and_si512(x, low4), lo5, bit4, 0xf8);
    const __m512i hi = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(x, 4), low4), hi5, bit4, 0xf8);
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      isum[t] = _mm512_dpbusd_epi32(isum[t], lo, broadcast4(a[t]->qs + 4 * j));
      isum[t] = _mm512_dpbusd_epi32(isum[t], hi, broadcast4(a[t]->qs + 16 + 4 * j));
    }
  };
  step(std::integral_constant<int, 0>{}, shift_to_bit4<4>(hb), shift_to_bit4<3>(hb));
  step(std::integral_constant<int, 1>{}, shift_to_bit4<2>(hb), shift_to_bit4<1>(hb));
  step(std::integral_constant<int, 2>{}, hb, shift_to_bit4<-1>(hb));
  step(std::integral_constant<int, 3>{}, shift_to_bit4<-2>(hb), shift_to_bit4<-3>(hb));
}

}  // namespace airlock::kernels::avx512
