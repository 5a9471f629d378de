// AVX-512 VNNI tile kernel for packed IQ3_S groups (layout in repack_iq3_s.h), through the
// lattice kernel (repack_lattice_avx512.h): an 8-element group is two 4-element grid entries.
#include <immintrin.h>

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
    explicit Rows(const uint8_t* block) { lattice::widen_9bit_indices(block + 32 + 128, block + 32 + 128 + 1024, 64, idx); }
    __m512i entries(int g, int r0) const { return lattice::grid_lanes(quant::kIQ3SGrid, idx + 32 * g + r0); }
  };
};

}  // namespace

void tile_iq3_s_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  run_tiles(lattice::kTiles<IQ3S>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
