#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <stdexcept>
#include <vector>

#include "tensor/thread_pool.h"

using namespace airlock;

TEST(ThreadPool, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 3, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        ASSERT_LT(b, e);
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
  }
}

TEST(ThreadPool, ManyRoundsAreCheap) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  for (int round = 0; round < 2000; ++round)
    pool.parallel_for(2, [&](int64_t b, int64_t e) { total += e - b; });
  EXPECT_EQ(total.load(), 4000);
}

// Work that takes a while is shared: the worker wakes and claims chunks the caller has not reached.
// Each chunk waits (at most 10 s) until two threads have run one, so the caller stays busy in its
// first chunk until the worker has claimed another.
TEST(ThreadPool, WorkersTakePart) {
  ThreadPool pool(2);
  std::mutex m;
  std::condition_variable both_seen;
  std::set<std::thread::id> ids;
  pool.parallel_for(8, [&](int64_t, int64_t) {
    std::unique_lock lock(m);
    ids.insert(std::this_thread::get_id());
    both_seen.notify_all();
    both_seen.wait_for(lock, std::chrono::seconds(10), [&] { return ids.size() == 2; });
  });
  EXPECT_EQ(ids.size(), 2u);
}

// Back-to-back jobs of different sizes: a worker joining late must never run a chunk twice or run
// a chunk of the wrong job.
TEST(ThreadPool, BackToBackJobsCoverExactlyOnce) {
  ThreadPool pool(3);
  std::mt19937 rng(1);
  for (int round = 0; round < 3000; ++round) {
    const int64_t n = 1 + static_cast<int64_t>(rng() % 40);
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "round " << round;
  }
}

TEST(ThreadPool, PropagatesExceptionsAndStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.parallel_for(9, [](int64_t b, int64_t) {
                 if (b > 0) throw std::runtime_error("boom");
               }),
               std::runtime_error);
  std::atomic<int> count{0};
  pool.parallel_for(9, [&](int64_t b, int64_t e) { count += static_cast<int>(e - b); });
  EXPECT_EQ(count.load(), 9);
}

TEST(ThreadPool, NestedCallRunsInline) {
  ThreadPool pool(2);
  std::atomic<int> inner{0};
  pool.parallel_for(2, [&](int64_t, int64_t) { pool.parallel_for(4, [&](int64_t b, int64_t e) { inner += static_cast<int>(e - b); }); });
  EXPECT_EQ(inner.load(), 8);
}

TEST(ThreadPool, DefaultIsPhysicalCores) {
  ThreadPool pool;
  EXPECT_EQ(pool.size(), ThreadPool::physical_cores());
  EXPECT_GE(pool.size(), 1);
}
