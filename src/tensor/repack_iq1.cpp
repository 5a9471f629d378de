// Packs 16 IQ1_S or IQ1_M rows into one rows-in-lanes group (layouts in repack_iq1.h).
#include "tensor/repack_iq1.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

size_t group_bytes_iq1_s(int64_t cols) { return static_cast<size_t>(whole_blocks("iq1_s", cols, kQK_K)) * kIQ1SBlockBytes; }
size_t group_bytes_iq1_m(int64_t cols) { return static_cast<size_t>(whole_blocks("iq1_m", cols, kQK_K)) * kIQ1MBlockBytes; }

void pack_iq1_s(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("iq1_s", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kIQ1SBlockBytes)
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockIQ1_S>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      for (int g = 0; g < 32; ++g) out[32 + 16 * g + r] = b.qs[g];
      for (int ib = 0; ib < 8; ++ib) std::memcpy(out + 32 + 512 + 32 * ib + 2 * r, &b.qh[ib], 2);
    }
}

void pack_iq1_m(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("iq1_m", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kIQ1MBlockBytes)
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockIQ1_M>(rows, row_stride, r, i);
      uint16_t sc[4];
      std::memcpy(sc, b.scales, 8);
      const auto d = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0xf0) | ((sc[2] >> 4) & 0xf00) | (sc[3] & 0xf000));
      std::memcpy(out + 2 * r, &d, 2);
      for (int g = 0; g < 32; ++g) out[32 + 16 * g + r] = b.qs[g];
      // qh[p] holds the nibbles of groups 2p (low) and 2p + 1 (high) already.
      for (int p = 0; p < 16; ++p) out[32 + 512 + 16 * p + r] = b.qh[p];
      for (int ib = 0; ib < 8; ++ib) {
        const unsigned six = (sc[ib / 2] >> (6 * (ib % 2))) & 0x3f;
        out[32 + 512 + 256 + 16 * ib + r] = static_cast<uint8_t>((six & 7) | (six >> 3) << 4);
      }
    }
}

}  // namespace airlock::repack_lanes
