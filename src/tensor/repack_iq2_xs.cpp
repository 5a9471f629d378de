// Packs 16 IQ2_XS rows into one rows-in-lanes group (layout in repack_iq2_xs.h).
#include "tensor/repack_iq2_xs.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

size_t group_bytes_iq2_xs(int64_t cols) { return static_cast<size_t>(whole_blocks("iq2_xs", cols, kQK_K)) * kIQ2XSBlockBytes; }

void pack_iq2_xs(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("iq2_xs", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kIQ2XSBlockBytes) {
    uint8_t* scales = out + 32;
    uint8_t* low = scales + 128;
    uint16_t high[32] = {};
    uint64_t signs[32][2] = {};
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockIQ2_XS>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      for (int p = 0; p < 8; ++p) scales[16 * p + r] = b.scales[p];
      for (int g = 0; g < 32; ++g) {
        const uint16_t w = b.qs[g];
        low[16 * g + r] = static_cast<uint8_t>(w & 0xff);
        high[g] = static_cast<uint16_t>(high[g] | ((w >> 8) & 1) << r);
        // The eighth sign makes the count of minus signs even.
        const unsigned code = w >> 9, sign8 = code | static_cast<unsigned>(__builtin_parity(code)) << 7;
        signs[g][0] |= uint64_t{sign8 & 0xf} << (4 * r);
        signs[g][1] |= uint64_t{sign8 >> 4} << (4 * r);
      }
    }
    std::memcpy(low + 512, high, sizeof high);
    std::memcpy(low + 512 + sizeof high, signs, sizeof signs);
  }
}

}  // namespace airlock::repack_lanes
