// Packs 16 IQ2_S rows into one rows-in-lanes group (layout in repack_iq2_s.h).
#include "tensor/repack_iq2_s.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

size_t group_bytes_iq2_s(int64_t cols) { return static_cast<size_t>(whole_blocks("iq2_s", cols, kQK_K)) * kIQ2SBlockBytes; }

void pack_iq2_s(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("iq2_s", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kIQ2SBlockBytes) {
    uint8_t* scales = out + 32;
    uint8_t* low = scales + 128;
    uint32_t high[32] = {};
    uint64_t signs[32][2] = {};
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockIQ2_S>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      for (int p = 0; p < 8; ++p) scales[16 * p + r] = b.scales[p];
      // Group g: low index bits in qs[g], top two in bits 2(g % 4).. of qh[g / 4], signs in qs[32 + g].
      for (int g = 0; g < 32; ++g) {
        low[16 * g + r] = b.qs[g];
        high[g] |= static_cast<uint32_t>((b.qh[g / 4] >> (2 * (g % 4))) & 3) << (2 * r);
        for (int j = 0; j < 8; ++j) signs[g][j / 4] |= uint64_t{(b.qs[32 + g] >> j) & 1u} << (4 * r + j % 4);
      }
    }
    std::memcpy(low + 512, high, sizeof high);
    std::memcpy(low + 512 + sizeof high, signs, sizeof signs);
  }
}

}  // namespace airlock::repack_lanes
