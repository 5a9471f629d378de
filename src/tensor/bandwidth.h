// Measures how fast this machine streams memory into the cores, the bound on decode speed (each
// generated token reads every weight once).
#pragma once
#include <cstddef>

namespace airlock {

class ThreadPool;

struct Bandwidth {
  double bytes_per_second = 0;  // best pass, by wall time
  // Best pass by the readers' own CPU time (bytes / (thread CPU seconds / threads)): what the
  // threads stream while they hold a core, the figure that stays meaningful on a shared machine.
  double cpu_bytes_per_second = 0;
  size_t buffer_bytes = 0;
  int passes = 0;
};

// Reads a buffer of `bytes` (rounded up to 4 KiB; choose it far larger than the caches) `passes`
// times, split across the pool's threads (pool may be null: calling thread only), and returns the
// best pass. The buffer is written once before timing so page faults are not counted.
// Throws airlock::Error if bytes is 0 or passes < 1.
Bandwidth measure_read_bandwidth(size_t bytes, int passes, ThreadPool* pool);

}  // namespace airlock
