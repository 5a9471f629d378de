// Software prefetch for the packed-weight tile kernels. A weight matrix is streamed from DRAM once
// per forward pass, and with the hardware prefetcher alone one core stays well below the memory
// bandwidth, so each kernel asks for the block a few kilobytes ahead of the one it is working on.
#pragma once
#include <cstddef>

namespace airlock {

// About this many bytes ahead of the current block (measured on Zen 4: 4 Q4_K groups, ~9 KiB).
inline constexpr size_t kPrefetchAheadBytes = 9 * 1024;

// Where prefetch_lines puts the lines, chosen per kernel family by measurement on Zen 4 (decode,
// airlock bench tg32 on llama-1B files, CPU-time tokens/s on a busy machine, interleaved with the
// other choice):
// - L2 (prefetcht1) for the K-quant tiles (Q4_K/Q5_K, Q6_K, Q3_K, IQ4_XS): Q4_K_M ~1.45x, Q3_K_M
//   ~1.75x, Q6_K ~1.2x faster than into L1.
// - L1 (prefetcht0) for the legacy tiles (Q8_0, Q4_0, Q5_0, IQ4_NL): Q4_0 was ~10% slower into L2.
// - L1, as measured when they were written, for the Q2_K, Q4_1/Q5_1, lattice (IQ2_*, IQ3_*) and
//   BF16 tiles and for attention's next key/value block; not yet measured against L2.
enum class PrefetchTo { L1, L2 };

// Every 64-byte line of [p, p + bytes). Prefetching past the end of a buffer is harmless.
template <PrefetchTo To>
inline void prefetch_lines(const void* p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64)
    __builtin_prefetch(static_cast<const char*>(p) + off, 0, To == PrefetchTo::L1 ? 3 : 2);
}

}  // namespace airlock
