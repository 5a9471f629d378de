#include "tensor/bandwidth.h"

#include <emmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <memory>

#include "airlock/error.h"
#include "tensor/thread_pool.h"

namespace airlock {

namespace {

constexpr size_t kPage = 4096;
// Unit of work handed to threads: large enough that claiming it costs nothing next to reading it.
constexpr size_t kSlice = size_t{1} << 20;

// Sums 16-byte words with four independent accumulators, so the loop is bound by loads alone.
uint64_t read_range(const uint8_t* p, size_t n) {
  __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 64 <= n; i += 64) {
    a0 = _mm_add_epi64(a0, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i)));
    a1 = _mm_add_epi64(a1, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i + 16)));
    a2 = _mm_add_epi64(a2, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i + 32)));
    a3 = _mm_add_epi64(a3, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i + 48)));
  }
  const __m128i s = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(s)) + static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s)));
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

}  // namespace

Bandwidth measure_read_bandwidth(size_t bytes, int passes, ThreadPool* pool) {
  if (bytes == 0) throw Error("bandwidth: buffer size must be positive");
  if (passes < 1) throw Error("bandwidth: passes must be at least 1");
  const size_t size = (bytes + kPage - 1) / kPage * kPage;
  std::unique_ptr<uint8_t, FreeDeleter> buf(static_cast<uint8_t*>(std::aligned_alloc(kPage, size)));
  if (!buf) throw Error("bandwidth: cannot allocate " + std::to_string(size) + " bytes");
  const auto n_slices = static_cast<int64_t>((size + kSlice - 1) / kSlice);
  auto slice = [&](int64_t s, auto&& body) {
    const size_t begin = static_cast<size_t>(s) * kSlice;
    body(buf.get() + begin, std::min(kSlice, size - begin));
  };
  // Written by the threads that will read it, so the pages are resident (and local) before timing.
  auto fill = [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s)
      slice(s, [&](uint8_t* p, size_t n) {
        for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i * 7 + static_cast<size_t>(s));
      });
  };
  // Publishing each thread's sum keeps the compiler from dropping the reads.
  std::atomic<uint64_t> sink{0};
  std::atomic<int64_t> cpu_ns{0};  // the readers' CPU time in the current pass
  auto read = [&](int64_t s0, int64_t s1) {
    const double c0 = thread_cpu_seconds();
    uint64_t sum = 0;
    for (int64_t s = s0; s < s1; ++s) slice(s, [&](uint8_t* p, size_t n) { sum += read_range(p, n); });
    sink.fetch_add(sum, std::memory_order_relaxed);
    cpu_ns.fetch_add(static_cast<int64_t>((thread_cpu_seconds() - c0) * 1e9), std::memory_order_relaxed);
  };
  auto run = [&](const auto& fn) {
    if (pool)
      pool->parallel_for(n_slices, fn);
    else
      fn(0, n_slices);
  };
  run(fill);
  const double threads = pool ? std::min<double>(pool->size(), static_cast<double>(n_slices)) : 1;
  Bandwidth best{0, 0, size, passes};
  for (int i = 0; i < passes; ++i) {
    cpu_ns.store(0);
    const auto t0 = std::chrono::steady_clock::now();
    run(read);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = static_cast<double>(cpu_ns.load()) * 1e-9 / threads;
    if (s > 0) best.bytes_per_second = std::max(best.bytes_per_second, static_cast<double>(size) / s);
    if (cpu > 0) best.cpu_bytes_per_second = std::max(best.cpu_bytes_per_second, static_cast<double>(size) / cpu);
  }
  return best;
}

}  // namespace airlock
