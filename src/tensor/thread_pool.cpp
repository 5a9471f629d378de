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

thread_local const ThreadPool* t_inside = nullptr;  // the pool whose work this thread is running

template <class Pred>
void spin_then_wait(std::atomic<uint64_t>& word, uint64_t old, Pred done) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (done()) return;
    _mm_pause();
  }
  while (!done()) word.wait(old, std::memory_order_acquire);
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
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::run_share(int index) {
  const int64_t begin = n_ * index / n_threads_, end = n_ * (index + 1) / n_threads_;
  if (begin >= end) return;
  const ThreadPool* outer = std::exchange(t_inside, this);
  try {
    (*fn_)(begin, end);
  } catch (...) {
    std::lock_guard lock(error_mutex_);
    if (!error_) error_ = std::current_exception();
  }
  t_inside = outer;
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    spin_then_wait(generation_, seen, [&] { return generation_.load(std::memory_order_acquire) != seen; });
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    run_share(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (n_threads_ == 1 || n == 1 || t_inside == this) {
    fn(0, n);
    return;
  }
  std::lock_guard call(call_mutex_);
  fn_ = &fn;
  n_ = n;
  error_ = nullptr;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  run_share(0);
  // Wait for the workers: spin first, then sleep on pending_.
  for (int i = 0; i < kSpinIterations && pending_.load(std::memory_order_acquire) != 0; ++i) _mm_pause();
  for (int p; (p = pending_.load(std::memory_order_acquire)) != 0;) pending_.wait(p, std::memory_order_acquire);
  fn_ = nullptr;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace airlock
