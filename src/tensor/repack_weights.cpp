#include "tensor/repack_weights.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <vector>

#include "tensor/page_buffer.h"
#include "tensor/repack.h"
#include "tensor/thread_pool.h"

namespace airlock {

namespace {

// Huge pages: a model's packed weights are hundreds of MB, read in full for every token.
constexpr size_t kAlign = size_t{2} << 20;

struct Job {
  WeightView* view;
  const RepackKernels* kernels;
  size_t offset;         // of the view's first group in the buffer
  size_t group_bytes;
  int64_t first_group;   // index of this view's first group among all groups
};

}  // namespace

std::shared_ptr<const void> pack_weights(std::span<WeightView* const> views, CpuPath path, ThreadPool* pool) {
  std::vector<Job> jobs;
  size_t total = 0;
  int64_t n_groups = 0;
  for (WeightView* v : views) {
    const RepackKernels* k = v->data ? repack_kernels(v->type, path) : nullptr;
    const int64_t groups = v->rows / kRepackRows;
    if (!k || groups == 0) continue;
    const size_t gb = k->group_bytes(v->cols);
    jobs.push_back({v, k, total, gb, n_groups});
    total += (gb * static_cast<size_t>(groups) + 63) / 64 * 64;  // each view starts on a line
    n_groups += groups;
  }
  if (jobs.empty()) return nullptr;

  const size_t size = (total + kAlign - 1) / kAlign * kAlign;
  std::shared_ptr<void> buf = shared_pages(size, /*huge=*/true);  // page-aligned, so kAlign-aligned
  auto* base = static_cast<uint8_t*>(buf.get());

  auto work = [&](int64_t g0, int64_t g1) {
    // The job holding group g0, then onwards through consecutive jobs.
    auto it = std::upper_bound(jobs.begin(), jobs.end(), g0, [](int64_t g, const Job& j) { return g < j.first_group; }) - 1;
    for (int64_t g = g0; g < g1; ++g) {
      while (g - it->first_group >= it->view->rows / kRepackRows) ++it;
      const int64_t local = g - it->first_group;
      const auto* rows = static_cast<const uint8_t*>(it->view->data) + static_cast<size_t>(local * kRepackRows) * it->view->row_stride;
      it->kernels->pack(rows, it->view->row_stride, it->view->cols, base + it->offset + static_cast<size_t>(local) * it->group_bytes);
    }
  };
  if (pool)
    pool->parallel_for(n_groups, work);
  else
    work(0, n_groups);
  for (const Job& j : jobs) {
    j.view->packed = base + j.offset;
    j.view->packed_layout = j.kernels;
  }
  return buf;
}

}  // namespace airlock
