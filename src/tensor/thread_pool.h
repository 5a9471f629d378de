// A fixed set of worker threads that split index ranges between them.
#pragma once
#include <cstdint>
#include <functional>

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
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  int n_threads_;
};

}  // namespace airlock
