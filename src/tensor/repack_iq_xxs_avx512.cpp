// AVX-512 VNNI tile kernels for packed IQ2_XXS and IQ3_XXS groups (layouts in repack_iq_xxs.h),
// through the lattice kernel (repack_lattice_avx512.h).
#include <immintrin.h>

#include "tensor/quant_iq_grids.h"
#include "tensor/repack_iq_xxs.h"
#include "tensor/repack_lattice_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

namespace {

struct IQ2XXS {
  static constexpr size_t kBlockBytes = kIQ2XXSBlockBytes;
  static constexpr int kGroupsPerScale = 4;
  static constexpr size_t kSignsAt = 32 + 64 + 512;
  static constexpr float kFactor = 0.125f;  // the format's scale is (s + 1/2) / 4 = (2s + 1) / 8
  static __m512i scales(const uint8_t* block, int s) { return lattice::odd_scales(block + 32, s); }

  struct Rows {
    const uint8_t* idx;
    explicit Rows(const uint8_t* block) : idx(block + 32 + 64) {}
    __m512i entries(int g, int r0) const { return lattice::grid_lanes(quant::kIQ2XXSGrid, idx + 16 * g + r0); }
  };
};

struct IQ3XXS {
  static constexpr size_t kBlockBytes = kIQ3XXSBlockBytes;
  static constexpr int kGroupsPerScale = 4;
  static constexpr size_t kSignsAt = 32 + 64 + 1024;
  static constexpr float kFactor = 0.25f;  // the format's scale is (s + 1/2) / 2 = (2s + 1) / 4
  static __m512i scales(const uint8_t* block, int s) { return lattice::odd_scales(block + 32, s); }

  // An 8-element group is two 4-element grid entries.
  struct Rows {
    const uint8_t* idx;
    explicit Rows(const uint8_t* block) : idx(block + 32 + 64) {}
    __m512i entries(int g, int r0) const { return lattice::grid_lanes(quant::kIQ3XXSGrid, idx + 32 * g + r0); }
  };
};

}  // namespace

void tile_iq2_xxs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                         size_t out_stride) {
  run_tiles(lattice::kTiles<IQ2XXS>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

void tile_iq3_xxs_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                         size_t out_stride) {
  run_tiles(lattice::kTiles<IQ3XXS>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
