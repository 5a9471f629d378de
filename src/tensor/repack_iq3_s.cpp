// Packs 16 IQ3_S rows into one rows-in-lanes group (layout in repack_iq3_s.h).
#include "tensor/repack_iq3_s.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

size_t group_bytes_iq3_s(int64_t cols) { return static_cast<size_t>(whole_blocks("iq3_s", cols, kQK_K)) * kIQ3SBlockBytes; }

void pack_iq3_s(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("iq3_s", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kIQ3SBlockBytes) {
    uint8_t* scales = out + 32;
    uint8_t* low = scales + 128;
    uint16_t high[64] = {};
    uint64_t signs[64] = {};
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockIQ3_S>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      for (int p = 0; p < 8; ++p) scales[16 * p + r] = static_cast<uint8_t>(2 * ((b.scales[p / 2] >> (4 * (p % 2))) & 0xf) + 1);
      // Group g = index k of 32-block g / 8: its low bits in qs[g], its ninth bit is bit k of qh[g / 8].
      for (int g = 0; g < 64; ++g) {
        low[16 * g + r] = b.qs[g];
        high[g] = static_cast<uint16_t>(high[g] | ((b.qh[g / 8] >> (g % 8)) & 1) << r);
        for (int j = 0; j < 4; ++j) {
          const int e = 4 * g + j;
          signs[g] |= uint64_t{(b.signs[e / 8] >> (e % 8)) & 1u} << (4 * r + j);
        }
      }
    }
    std::memcpy(low + 1024, high, sizeof high);
    std::memcpy(low + 1024 + sizeof high, signs, sizeof signs);
  }
}

}  // namespace airlock::repack_lanes
