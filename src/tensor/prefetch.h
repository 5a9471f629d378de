// Software prefetch for the packed-weight tile kernels. A weight matrix is streamed from DRAM once
// per forward pass; the hardware prefetcher alone keeps too few lines in flight for one core to
// reach the memory bandwidth, so each kernel asks for the block a few kilobytes ahead of the one
// it is working on.
#pragma once
#include <cstddef>

namespace airlock {

// About this many bytes ahead of the current block (measured on Zen 4: 4 Q4_K groups, ~9 KiB).
inline constexpr size_t kPrefetchAheadBytes = 9 * 1024;

// Every 64-byte line of [p, p + bytes) into L2, not L1: on Zen 4, prefetching the same lines into L1
// (locality 3, prefetcht0) made single-token decode of a DRAM-resident Q4_K matrix ~1.6x slower
// than into L2 (locality 2, prefetcht1): the lines in flight to L1 are far fewer, and they evict
// the activations. Prefetching past the end of a buffer is harmless.
inline void prefetch_lines(const void* p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(static_cast<const char*>(p) + off, 0, 2);
}

}  // namespace airlock
