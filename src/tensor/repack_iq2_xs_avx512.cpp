// AVX-512 VNNI tile kernel for packed IQ2_XS groups (layout in repack_iq2_xs.h), through the
// lattice kernel (repack_lattice_avx512.h).
#include <immintrin.h>

#include <cstring>

#include "tensor/quant_iq_grids.h"
#include "tensor/repack_iq2_xs.h"
#include "tensor/repack_lattice_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

namespace {

struct IQ2XS {
  static constexpr size_t kBlockBytes = kIQ2XSBlockBytes;
  static constexpr int kGroupsPerScale = 2;
  static constexpr size_t kSignsAt = 32 + 128 + 512 + 64;
  static constexpr float kFactor = 0.125f;  // the format's scale is (s + 1/2) / 4 = (2s + 1) / 8
  static __m512i scales(const uint8_t* block, int s) { return lattice::odd_scales(block + 32, s); }

  // The 9-bit indices widened to uint16 once per block (idx[16g + r]), so that each lookup is one load.
  struct Rows {
    alignas(32) uint16_t idx[32 * 16];
    explicit Rows(const uint8_t* block) {
      const uint8_t* low = block + 32 + 128;
      const uint8_t* high = low + 512;
      const __m256i bit8 = _mm256_set1_epi16(256);
      for (int g = 0; g < 32; ++g) {
        uint16_t h;
        std::memcpy(&h, high + 2 * g, 2);
        const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low + 16 * g)));
        _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 16 * g), _mm256_or_si256(v, _mm256_maskz_mov_epi16(h, bit8)));
      }
    }
    __m512i entries(int g, int r0) const {
      const uint16_t* ix = idx + 16 * g + r0;
      uint64_t v[8];
      #pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) v[k] = quant::kIQ2XSGrid[ix[k]];
      return lattice::lanes8(v);
    }
  };
};

}  // namespace

void tile_iq2_xs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                        size_t out_stride) {
  run_tiles(lattice::kTiles<IQ2XS>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
