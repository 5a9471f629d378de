// Packs 16 TQ2_0 or TQ1_0 rows into one rows-in-lanes group (layouts in repack_ternary.h).
#include "tensor/repack_rows.h"
#include "tensor/repack_ternary.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

namespace {

// quant(e) in 0..3 for e < 256 gives one row's part of a group block.
template <class Quant>
void place(int r, uint16_t d, Quant quant, uint8_t* out) {
  std::memcpy(out + 2 * r, &d, 2);
  uint8_t* quants = out + 32;
  for (int s = 0; s < 16; ++s)
    for (int byte = 0; byte < 4; ++byte) {
      uint8_t packed = 0;
      for (int g = 0; g < 4; ++g) packed |= static_cast<uint8_t>(quant(16 * s + 4 * g + byte) << (2 * g));
      quants[64 * s + 4 * r + byte] = packed;
    }
}

}  // namespace

size_t group_bytes_tq2_0(int64_t cols) { return static_cast<size_t>(whole_blocks("tq2_0", cols, kQK_K)) * kTernaryBlockBytes; }
size_t group_bytes_tq1_0(int64_t cols) { return static_cast<size_t>(whole_blocks("tq1_0", cols, kQK_K)) * kTQ1BlockBytes; }

void pack_tq2_0(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("tq2_0", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kTernaryBlockBytes)
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockTQ2_0>(rows, row_stride, r, i);
      // Byte 32h + m holds elements 128h + 32l + m in bits 2l, 2l + 1.
      place(r, b.d, [&](int e) { return (b.qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3; }, out);
    }
}

void pack_tq1_0(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("tq1_0", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kTQ1BlockBytes)
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockTQ1_0>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      for (int j = 0; j < 12; ++j) std::memcpy(out + 32 + 64 * j + 4 * r, b.qs + 4 * j, 4);
      std::memcpy(out + 32 + 768 + 4 * r, b.qh, 4);
    }
}

}  // namespace airlock::repack_lanes
