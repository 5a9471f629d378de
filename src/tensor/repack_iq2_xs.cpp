// Packs 16 IQ2_XS rows into one rows-in-lanes group (layout in repack_iq2_xs.h).
#include "tensor/repack_iq2_xs.h"

#include <cstring>
#include <string>

#include "airlock/error.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

namespace {

int64_t blocks(int64_t cols) {
  if (cols <= 0 || cols % kQK_K != 0)
    throw Error("iq2_xs repack: " + std::to_string(cols) + " columns is not a positive multiple of 256");
  return cols / kQK_K;
}

}  // namespace

size_t group_bytes_iq2_xs(int64_t cols) { return static_cast<size_t>(blocks(cols)) * kIQ2XSBlockBytes; }

void pack_iq2_xs(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = blocks(cols);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kIQ2XSBlockBytes) {
    uint8_t* scales = out + 32;
    uint8_t* low = scales + 128;
    uint16_t high[32] = {};
    uint64_t signs[32][2] = {};
    for (int r = 0; r < kRepackRows; ++r) {
      BlockIQ2_XS b;  // a copy: rows need not be aligned for the block struct
      std::memcpy(&b, static_cast<const uint8_t*>(rows) + static_cast<size_t>(r) * row_stride + static_cast<size_t>(i) * sizeof b,
                  sizeof b);
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
