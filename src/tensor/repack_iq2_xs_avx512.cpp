// AVX-512 VNNI tile kernel for packed IQ2_XS groups (layout in repack_iq2_xs.h), through the
// lattice kernel (repack_lattice_avx512.h).
#include <immintrin.h>

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
    explicit Rows(const uint8_t* block) { lattice::widen_9bit_indices(block + 32 + 128, block + 32 + 128 + 512, 32, idx); }
    __m512i entries(int g, int r0) const { return lattice::grid_lanes(quant::kIQ2XSGrid, idx + 16 * g + r0); }
  };
};

}  // namespace

void tile_iq2_xs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                        size_t out_stride) {
  run_tiles(lattice::kTiles<IQ2XS>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
