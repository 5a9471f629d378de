// A fixed set of persistent worker threads that split index ranges between them. Work is cut into
// a few chunks per thread that threads claim one at a time; the calling thread claims too, so a
// worker that is slow to wake (a busy machine) costs nothing: the others take its chunks.
// Idle workers spin briefly, then sleep, so back-to-back operations do not pay for a wake-up each.
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
  void worker();
  // Claims and runs chunks of the current job until none are left.
  void run_chunks();

  int n_threads_;
  std::vector<std::thread> threads_;
  std::mutex call_mutex_;
  // The current job; written by the caller before it publishes the job in claim_.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, chunk_ = 0;
  // job id (16 bits) | chunk count (24 bits) | next unclaimed chunk (24 bits). Claiming is a CAS
  // on the whole word, so a late worker can never claim a chunk of a job other than the one
  // whose fn_ it then calls.
  std::atomic<uint64_t> claim_{0};
  uint64_t job_ = 0;
  std::atomic<int> active_{0};  // workers between joining a job and finishing their chunks
  std::atomic<uint64_t> generation_{0};  // bumped to wake workers
  std::atomic<bool> stop_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace airlock
