// AVX-512 VNNI tile kernels for repacked Q8_0, Q4_0, Q5_0 and IQ4_NL groups (layout in repack_q6_K_legacy.h):
// 16 rows in the lanes of one zmm, each 4-byte slice of a token's activations broadcast to all
// lanes, so vpdpbusd accumulates per-row sums with no horizontal reductions. Each weight vector is
// loaded (and for Q4_0 unpacked) once and used for every token of the call.
#include <immintrin.h>

#include "tensor/nibble_quants_avx512.h"
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
    accumulate_nibbles<NT>(quants, a, isum);
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

// Q5_0: Q4_0's nibbles plus a plane of fifth bits (nibble_quants_avx512.h).
struct Q5_0Weights : Fp16RowScales {
  static constexpr int kBiasShift = 4;
  static constexpr size_t kBlockBytes = kRepackRows * sizeof(BlockQ5_0);
  template <int NT>
  static void accumulate(const uint8_t* bits_then_quants, const BlockQ8_0* const* a, __m512i* isum) {
    accumulate_nibbles_with_fifth_bits<NT>(bits_then_quants, a, isum);
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
