// The memory read bandwidth probe: argument checks, buffer rounding, and a rate within physical
// bounds with and without threads.
#include <gtest/gtest.h>

#include "airlock/error.h"
#include "tensor/bandwidth.h"
#include "tensor/thread_pool.h"

using namespace airlock;

TEST(Bandwidth, RejectsEmptyBufferAndZeroPasses) {
  EXPECT_THROW(measure_read_bandwidth(0, 1, nullptr), Error);
  EXPECT_THROW(measure_read_bandwidth(1 << 20, 0, nullptr), Error);
}

TEST(Bandwidth, RoundsBufferUpToPages) {
  const Bandwidth b = measure_read_bandwidth(5000, 2, nullptr);
  EXPECT_EQ(b.buffer_bytes, 8192u);
  EXPECT_EQ(b.passes, 2);
  EXPECT_GT(b.bytes_per_second, 0);
}

// Any machine this runs on streams between 100 MB/s and 10 TB/s (L2-resident 16 MiB reads on a
// fast core stay well under the upper bound).
TEST(Bandwidth, RateIsPhysicallyPlausible) {
  ThreadPool pool(2);
  for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
    const Bandwidth b = measure_read_bandwidth(16 << 20, 3, p);
    EXPECT_EQ(b.buffer_bytes, size_t{16} << 20);
    EXPECT_GT(b.bytes_per_second, 1e8);
    EXPECT_LT(b.bytes_per_second, 1e13);
    EXPECT_GT(b.cpu_bytes_per_second, 1e8);
    EXPECT_LT(b.cpu_bytes_per_second, 1e13);
  }
}
