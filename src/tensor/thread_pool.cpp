#include "tensor/thread_pool.h"

#include <immintrin.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace airlock {

namespace {

// About 20-50 us of spinning before a waiting thread sleeps: long enough to cover the gap between
// two matmuls of one forward pass, short enough not to burn a core while idle.
constexpr int kSpinIterations = 20000;
// Chunks per thread: enough to even out uneven progress, few enough to keep claims cheap.
constexpr int64_t kChunksPerThread = 4;

thread_local const ThreadPool* t_inside = nullptr;  // the pool whose work this thread is running

constexpr uint64_t pack(uint64_t job, uint64_t chunks, uint64_t next) { return (job << 48) | (chunks << 24) | next; }
constexpr uint64_t chunks_of(uint64_t c) { return (c >> 24) & 0xffffff; }
constexpr uint64_t next_of(uint64_t c) { return c & 0xffffff; }

template <class T, class Pred>
void spin_then_wait(std::atomic<T>& word, Pred done) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (done()) return;
    _mm_pause();
  }
  for (T v = word.load(); !done(); v = word.load()) word.wait(v);
}

}  // namespace

int ThreadPool::physical_cores() {
  std::set<std::pair<std::string, std::string>> cores;
  for (unsigned cpu = 0; cpu < std::thread::hardware_concurrency(); ++cpu) {
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream pkg(base + "physical_package_id"), core(base + "core_id");
    std::string p, c;
    if (!(pkg >> p) || !(core >> c)) return std::max(1u, std::thread::hardware_concurrency());
    cores.emplace(p, c);
  }
  return std::max<int>(1, static_cast<int>(cores.size()));
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads > 0 ? n_threads : physical_cores()) {
  threads_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::run_chunks() {
  const ThreadPool* outer = std::exchange(t_inside, this);
  uint64_t cur = claim_.load();
  while (next_of(cur) < chunks_of(cur)) {
    if (!claim_.compare_exchange_weak(cur, cur + 1)) continue;  // cur reloaded
    // The claim succeeded, so this job is still running and fn_/n_/chunk_ are its own.
    const int64_t begin = static_cast<int64_t>(next_of(cur)) * chunk_;
    const int64_t end = std::min(n_, begin + chunk_);
    try {
      (*fn_)(begin, end);
    } catch (...) {
      std::lock_guard lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
    }
    cur = claim_.load();
  }
  t_inside = outer;
}

void ThreadPool::worker() {
  uint64_t seen = 0;
  for (;;) {
    spin_then_wait(generation_, [&] { return generation_.load() != seen; });
    seen = generation_.load();
    if (stop_.load()) return;
    // Announce before claiming: the caller waits for active_ to drop to zero once all chunks are
    // claimed, so it cannot return while this thread may still call fn_.
    active_.fetch_add(1);
    run_chunks();
    if (active_.fetch_sub(1) == 1) active_.notify_all();
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (n_threads_ == 1 || n == 1 || t_inside == this) {
    fn(0, n);
    return;
  }
  std::lock_guard call(call_mutex_);
  const int64_t chunks = std::min<int64_t>(n, n_threads_ * kChunksPerThread);
  fn_ = &fn;
  n_ = n;
  chunk_ = (n + chunks - 1) / chunks;
  error_ = nullptr;
  job_ = (job_ + 1) & 0xffff;
  claim_.store(pack(job_, static_cast<uint64_t>((n + chunk_ - 1) / chunk_), 0));
  generation_.fetch_add(1);
  generation_.notify_all();
  run_chunks();
  spin_then_wait(active_, [&] { return active_.load() == 0; });
  fn_ = nullptr;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace airlock
