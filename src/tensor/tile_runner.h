// The packed-weight tile kernels are templates on their token count (1..kMaxTileTokens), so each
// token's accumulators stay in registers; run_tiles feeds one such family any number of tokens.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "tensor/repack.h"

namespace airlock {

// One 16-row group times `NT` tokens' activations (the count is the kernel's template argument):
// out[t * out_stride + r] for t < NT, r < 16.
using TileKernel = void (*)(int64_t cols, const uint8_t* group, const uint8_t* act, size_t a_stride, float* out,
                            size_t out_stride);

// kernels[n - 1] takes n tokens; n_tokens activations go through them kMaxTileTokens at a time.
inline void run_tiles(const TileKernel (&kernels)[kMaxTileTokens], int64_t cols, const void* group, const void* act,
                      size_t a_stride, int n_tokens, float* out, size_t out_stride) {
  const auto* a = static_cast<const uint8_t*>(act);
  for (int done = 0; done < n_tokens; done += kMaxTileTokens) {
    const int n = std::min(kMaxTileTokens, n_tokens - done);
    kernels[n - 1](cols, static_cast<const uint8_t*>(group), a + static_cast<size_t>(done) * a_stride, a_stride,
                   out + static_cast<size_t>(done) * out_stride, out_stride);
  }
}

}  // namespace airlock
