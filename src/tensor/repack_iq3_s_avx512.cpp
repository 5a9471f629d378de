// AVX-512 VNNI tile kernel for packed IQ3_S groups (layout in repack_iq3_s.h), through the
// lattice kernel (repack_lattice_avx512.h): an 8-element group is two 4-element grid entries.
#include <immintrin.h>

#include <cstring>

#include "tensor/quant_iq_grids.h"
#include "tensor/repack_iq3_s.h"
#include "tensor/repack_lattice_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

namespace {

struct IQ3S {
  static constexpr size_t kBlockBytes = kIQ3SBlockBytes;
  static constexpr int kGroupsPerScale = 4;
  static constexpr size_t kSignsAt = 32 + 128 + 1024 + 128;
  static constexpr float kFactor = 1.0f;  // the format's scale is 2s + 1
  // The layout stores 2s + 1 itself, one byte per row and 32-element sub-block.
  static __m512i scales(const uint8_t* block, int s) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 32 + 16 * s)));
  }

  // The 9-bit indices widened to uint16 once per block (idx[16k + r] for 4-element group k), so
  // that each lookup is one load.
  struct Rows {
    alignas(32) uint16_t idx[64 * 16];
    explicit Rows(const uint8_t* block) {
      const uint8_t* low = block + 32 + 128;
      const uint8_t* high = low + 1024;
      const __m256i bit8 = _mm256_set1_epi16(256);
      for (int k = 0; k < 64; ++k) {
        uint16_t h;
        std::memcpy(&h, high + 2 * k, 2);
        const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low + 16 * k)));
        _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 16 * k), _mm256_or_si256(v, _mm256_maskz_mov_epi16(h, bit8)));
      }
    }
    __m512i entries(int g, int r0) const {
      const uint16_t* first = idx + 32 * g + r0;
      uint64_t v[8];
      #pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) v[k] = quant::kIQ3SGrid[first[k]] | uint64_t{quant::kIQ3SGrid[first[16 + k]]} << 32;
      return lattice::lanes8(v);
    }
  };
};

}  // namespace

void tile_iq3_s_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  run_tiles(lattice::kTiles<IQ3S>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
