// A fixed set of persistent worker threads that split index ranges between them. The calling
// thread takes the first share itself; workers wait for work spinning briefly, then sleeping, so
// back-to-back operations (one per layer and token) do not pay for a wake-up each time.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace airlock {

class ThreadPool {
 public:
  // n_threads <= 0: one per physical core.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }
  // Calls fn(begin, end) on disjoint ranges covering [0, n) and returns when all are done.
  // An exception thrown by fn is rethrown here (the first one, after all ranges have finished).
  // Calls from several threads are serialized; a call from inside fn runs inline.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

  // Physical cores of this machine (distinct core ids), at least 1.
  static int physical_cores();

 private:
  void worker(int index);
  void run_share(int index);

  int n_threads_;
  std::vector<std::thread> threads_;
  std::mutex call_mutex_;
  // Work of the current generation; written before generation_ is bumped.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace airlock
