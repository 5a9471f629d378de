// AVX-512 VNNI tile kernels for repacked Q8_0, Q4_0, Q5_0 and IQ4_NL groups (layout in repack_q6_K_legacy.h):
// 16 rows in the lanes of one zmm, each 4-byte slice of a token's activations broadcast to all
// lanes, so vpdpbusd accumulates per-row sums with no horizontal reductions. Each weight vector is
// loaded (and for Q4_0 unpacked) once and used for every token of the call.
#include <immintrin.h>

#include <type_traits>

#include "tensor/quant_blocks.h"
#include "tensor/repack_q6_K_legacy.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_q8_0_avx512.h"

namespace airlock::kernels {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

// Both weight formats are fed to vpdpbusd as unsigned bytes biased by 2^kBiasShift (Q4_0: its own
// +8; Q8_0: the +128 added at pack time), so each block's integer sum gets -bias * sum(a) added.
struct Q8_0Weights : Fp16RowScales {
  static constexpr int kBiasShift = 7;
  static constexpr size_t kBlockBytes = kRepackRows * sizeof(BlockQ8_0);
  template <int NT>
  static void accumulate(const uint8_t* quants, const BlockQ8_0* const* a, __m512i* isum) {
    #pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      const __m512i w = load512(quants + 64 * k);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) isum[t] = _mm512_dpbusd_epi32(isum[t], w, broadcast4(a[t]->qs + 4 * k));
    }
  }
};

struct Q4_0Weights : Fp16RowScales {
  static constexpr int kBiasShift = 3;
  static constexpr size_t kBlockBytes = kRepackRows * sizeof(BlockQ4_0);
  template <int NT>
  static void accumulate(const uint8_t* quants, const BlockQ8_0* const* a, __m512i* isum) {
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    #pragma GCC unroll 8
    for (int j = 0; j < 4; ++j) {
      const __m512i x = load512(quants + 64 * j);
      const __m512i lo = _mm512_and_si512(x, low4);                         // elements 4j..4j+3
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), low4);   // elements 16+4j..
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        isum[t] = _mm512_dpbusd_epi32(isum[t], lo, broadcast4(a[t]->qs + 4 * j));
        isum[t] = _mm512_dpbusd_epi32(isum[t], hi, broadcast4(a[t]->qs + 16 + 4 * j));
      }
    }
  }
};

// IQ4_NL: Q4_0's nibble layout; each index becomes its codebook value + 128 by one byte shuffle.
struct IQ4_NLWeights : Fp16RowScales {
  static constexpr int kBiasShift = 7;
  static constexpr size_t kBlockBytes = kRepackRows * sizeof(BlockIQ4_NL);
  template <int NT>
  static void accumulate(const uint8_t* quants, const BlockQ8_0* const* a, __m512i* isum) {
    accumulate_codebook<NT>(kIQ4Values, quants, a, isum);
  }
};

// Q5_0: Q4_0's nibbles plus a plane of fifth bits, two per element pair: byte i of row r's dword
// holds at bits 2j / 2j+1 the fifth bits of the elements in byte i of nibble vector j. Shifting
// 16-bit lanes moves each wanted bit to bit 4 of its own byte (the masks drop what crosses bytes).
struct Q5_0Weights : Fp16RowScales {
  static constexpr int kBiasShift = 4;
  static constexpr size_t kBlockBytes = kRepackRows * sizeof(BlockQ5_0);
  template <int J>
  static __m512i shift_to_bit4(__m512i v) {
    if constexpr (J < 0) return _mm512_srli_epi16(v, -J);
    else return _mm512_slli_epi16(v, J);
  }
  template <int NT>
  static void accumulate(const uint8_t* bits_then_quants, const BlockQ8_0* const* a, __m512i* isum) {
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
};

}  // namespace

void q8_0_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                          float* out, size_t out_stride) {
  run_q8_0_tiles<Q8_0Weights>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

void q4_0_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                          float* out, size_t out_stride) {
  run_q8_0_tiles<Q4_0Weights>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

void q5_0_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                          float* out, size_t out_stride) {
  run_q8_0_tiles<Q5_0Weights>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

void iq4_nl_x16_tile_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens,
                            float* out, size_t out_stride) {
  run_q8_0_tiles<IQ4_NLWeights>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::kernels
