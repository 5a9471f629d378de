// Packs 16 MXFP4 rows into one rows-in-lanes group (layout in repack_mxfp4.h).
#include "tensor/repack_mxfp4.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

size_t group_bytes_mxfp4(int64_t cols) { return static_cast<size_t>(whole_blocks("mxfp4", cols, kQK)) * kMXFP4BlockBytes; }

void pack_mxfp4(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("mxfp4", cols, kQK);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kMXFP4BlockBytes)
    for (int r = 0; r < kRepackRows; ++r) {
      const uint8_t* b = static_cast<const uint8_t*>(rows) + static_cast<size_t>(r) * row_stride + static_cast<size_t>(i) * sizeof(BlockMXFP4);
      out[r] = b[offsetof(BlockMXFP4, e)];
      for (int j = 0; j < 4; ++j) std::memcpy(out + 16 + 64 * j + 4 * r, b + offsetof(BlockMXFP4, qs) + 4 * j, 4);
    }
}

}  // namespace airlock::repack_lanes
