#include "tensor/thread_pool.h"

#include <thread>

namespace airlock {

// Placeholder until the kernels work lands: runs the whole range on the caller.
ThreadPool::ThreadPool(int n_threads)
    : n_threads_(n_threads > 0 ? n_threads : static_cast<int>(std::thread::hardware_concurrency())) {}
ThreadPool::~ThreadPool() = default;

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n > 0) fn(0, n);
}

}  // namespace airlock
