// Software prefetch for the packed-weight tile kernels. A weight matrix is streamed from DRAM once
// per forward pass; with several tokens per tile (or Q6_K's unpacking work) the loop runs slowly
// enough that the hardware prefetcher falls behind, so each kernel asks for the block a few
// kilobytes ahead of the one it is working on.
#pragma once
#include <cstddef>

namespace airlock {

// About this many bytes ahead of the current block (measured on Zen 4: 4 Q4_K groups, ~9 KiB).
inline constexpr size_t kPrefetchAheadBytes = 9 * 1024;

// Every 64-byte line of [p, p + bytes) into L1. Prefetching past the end of a buffer is harmless.
inline void prefetch_lines(const void* p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(static_cast<const char*>(p) + off, 0, 3);
}

}  // namespace airlock
