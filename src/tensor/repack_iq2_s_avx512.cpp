// AVX-512 VNNI tile kernel for packed IQ2_S groups (layout in repack_iq2_s.h), through the
// lattice kernel (repack_lattice_avx512.h).
#include <immintrin.h>

#include <cstring>

#include "tensor/quant_iq_grids.h"
#include "tensor/repack_iq2_s.h"
#include "tensor/repack_lattice_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

namespace {

struct IQ2S {
  static constexpr size_t kBlockBytes = kIQ2SBlockBytes;
  static constexpr int kGroupsPerScale = 2;
  static constexpr size_t kSignsAt = 32 + 128 + 512 + 128;
  static constexpr float kFactor = 0.125f;  // the format's scale is (s + 1/2) / 4 = (2s + 1) / 8
  static __m512i scales(const uint8_t* block, int s) { return lattice::odd_scales(block + 32, s); }

  // The 10-bit indices widened to uint16 once per block (idx[16g + r]), so that each lookup is one load.
  struct Rows {
    alignas(32) uint16_t idx[32 * 16];
    explicit Rows(const uint8_t* block) {
      const uint8_t* low = block + 32 + 128;
      const uint8_t* high = low + 512;
      const __m512i pair_shift = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      for (int g = 0; g < 32; ++g) {
        uint32_t h;
        std::memcpy(&h, high + 4 * g, 4);
        // Bits 2r, 2r + 1 of h are bits 8 and 9 of row r's index.
        const __m512i top = _mm512_and_si512(_mm512_srlv_epi32(_mm512_set1_epi32(static_cast<int>(h)), pair_shift),
                                             _mm512_set1_epi32(3));
        const __m512i v = _mm512_or_si512(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low + 16 * g))),
                                          _mm512_slli_epi32(top, 8));
        _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 16 * g), _mm512_cvtepi32_epi16(v));
      }
    }
    __m512i entries(int g, int r0) const { return lattice::grid_lanes(quant::kIQ2SGrid, idx + 16 * g + r0); }
  };
};

}  // namespace

void tile_iq2_s_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  run_tiles(lattice::kTiles<IQ2S>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
