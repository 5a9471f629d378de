// AVX-512 VNNI tile kernel for packed MXFP4 groups (layout in repack_mxfp4.h): the shared Q8_0
// tile loop (tile_q8_0_avx512.h) with IQ4_NL's codebook step on kMXFP4Values, and each row's
// E8M0 exponent turned into the float 2^(e - 128) (the values are doubled) by placing it in the
// exponent field.
#include <immintrin.h>

#include "tensor/quant_blocks.h"
#include "tensor/repack_mxfp4.h"
#include "tensor/tile_q8_0_avx512.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;
using namespace airlock::kernels::avx512;

namespace {

struct MXFP4Weights {
  static constexpr int kBiasShift = 7;
  static constexpr size_t kBlockBytes = kMXFP4BlockBytes;
  static constexpr size_t kScaleBytes = 16;
  // 2^(e - 128): exponent field e - 1 for e >= 2; e = 0 and 1 give the subnormals 2^-128, 2^-127.
  static __m512 scales(const uint8_t* group) {
    const __m512i e = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group)));
    const __m512i normal = _mm512_slli_epi32(_mm512_sub_epi32(e, _mm512_set1_epi32(1)), 23);
    const __m512i subnormal = _mm512_sllv_epi32(_mm512_set1_epi32(0x00200000), e);
    const __mmask16 is_normal = _mm512_cmpge_epu32_mask(e, _mm512_set1_epi32(2));
    return _mm512_castsi512_ps(_mm512_mask_blend_epi32(is_normal, subnormal, normal));
  }
  template <int NT>
  static void accumulate(const uint8_t* quants, const BlockQ8_0* const* a, __m512i* isum) {
    accumulate_codebook<NT>(kMXFP4Values, quants, a, isum);
  }
};

}  // namespace

void tile_mxfp4_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  run_q8_0_tiles<MXFP4Weights>(cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
