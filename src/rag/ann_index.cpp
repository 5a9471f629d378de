#include "rag/ann_index.h"

#include <hnswlib/hnswlib.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <unordered_set>

#include "rag/saved_index.h"

namespace airlock::rag {

namespace fs = std::filesystem;

namespace {

// Graph shape: 16 links per node and a construction breadth of 100 (docs/RAG.md has the recall
// this gives on bench/rag's vectors), at ~130 bytes per row besides the vector.
constexpr size_t kLinks = 16;
constexpr size_t kBuildEf = 100;
// Search breadth when the caller names none: see default_breadth.
constexpr size_t kSearchEf = 400;

}  // namespace

AnnIndex::AnnIndex(size_t dim) : space_(std::make_unique<hnswlib::InnerProductSpace>(dim)) {}
AnnIndex::~AnnIndex() = default;

bool AnnIndex::load(const fs::path& file, int64_t generation, size_t n, size_t dim, bool& current) {
  try {
    const auto meta = read_saved_meta(file);
    // Graphs labelled by row (before labels were chunk ids) cannot be updated: rebuilt.
    if (!meta || meta->value("labels", "") != "chunk_id" || meta->at("dim") != dim) return false;
    graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), file.string(), false, n);
    // hnswlib 0.6.2's loading constructor adds the deleted nodes to a count it never set to zero.
    graph_->num_deleted_ = 0;
    for (size_t i = 0; i < graph_->cur_element_count; ++i)
      graph_->num_deleted_ += graph_->isMarkedDeleted(static_cast<hnswlib::tableint>(i));
    current = meta->at("generation") == generation && meta->at("rows") == n &&
              graph_->cur_element_count - graph_->num_deleted_ == n;
    return true;
  } catch (const std::exception&) {
    graph_.reset();
    return false;
  }
}

void AnnIndex::add_rows(const int64_t* ids, const float* rows, const std::vector<size_t>& which, size_t dim) {
  // The first point of an empty graph alone, then the rest on all cores (hnswlib's insertion is
  // thread-safe).
  size_t start = 0;
  if (graph_->cur_element_count == 0 && !which.empty()) {
    graph_->addPoint(rows + which[0] * dim, static_cast<hnswlib::labeltype>(ids[which[0]]));
    start = 1;
  }
  const size_t workers = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<size_t> next{start};
  std::vector<std::thread> pool;
  for (size_t w = 0; w < std::min(workers, which.size()); ++w)
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < which.size();)
        graph_->addPoint(rows + which[i] * dim, static_cast<hnswlib::labeltype>(ids[which[i]]));
    });
  for (auto& t : pool) t.join();
}

bool AnnIndex::update(const int64_t* ids, const float* rows, size_t n, size_t dim) {
  auto& g = *graph_;
  std::vector<size_t> insert;  // rows new to the graph or whose vector changed (a reused chunk id)
  size_t fresh = 0;            // of those, the ones needing a new node
  std::unordered_set<hnswlib::labeltype> live;
  live.reserve(n);
  for (size_t r = 0; r < n; ++r) {
    const auto label = static_cast<hnswlib::labeltype>(ids[r]);
    live.insert(label);
    const auto it = g.label_lookup_.find(label);
    if (it == g.label_lookup_.end()) {
      insert.push_back(r), ++fresh;
    } else if (g.isMarkedDeleted(it->second) ||
               std::memcmp(g.getDataByInternalId(it->second), rows + r * dim, dim * sizeof(float)) != 0) {
      insert.push_back(r);
    }
  }
  std::vector<hnswlib::labeltype> gone;
  for (const auto& [label, internal] : g.label_lookup_)
    if (!live.contains(label) && !g.isMarkedDeleted(internal)) gone.push_back(label);
  // Deleted nodes still cost memory and search time: past a quarter of the graph, start afresh.
  const size_t total = g.cur_element_count + fresh;
  if (4 * (g.num_deleted_ + gone.size()) > total) return false;
  for (const auto label : gone) g.markDelete(label);
  if (total > g.max_elements_) g.resizeIndex(total);
  add_rows(ids, rows, insert, dim);
  return true;
}

void AnnIndex::save(const fs::path& file, int64_t generation, size_t n, size_t dim) const {
  // Saved for the next process; a collection on a read-only mount just keeps it in memory.
  const fs::path tmp = temp_beside(file);
  try {
    graph_->saveIndex(tmp.string());
    commit_saved(tmp, file, {{"generation", generation}, {"rows", n}, {"dim", dim}, {"labels", "chunk_id"}});
  } catch (const std::exception&) {
    std::error_code ec;
    fs::remove(tmp, ec);
  }
}

std::unique_ptr<AnnIndex> AnnIndex::open_or_build(const fs::path& file, int64_t generation, const int64_t* ids,
                                                  const float* rows, size_t n, size_t dim) {
  std::unique_ptr<AnnIndex> ix(new AnnIndex(dim));
  bool current = false;
  if (ix->load(file, generation, n, dim, current)) {
    if (current) {
      ix->origin_ = Origin::Loaded;
      return ix;
    }
    if (ix->update(ids, rows, n, dim)) ix->origin_ = Origin::Updated;
    else ix->graph_.reset();
  }
  if (!ix->graph_) {
    ix->graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(ix->space_.get(), n, kLinks, kBuildEf);
    std::vector<size_t> all(n);
    for (size_t r = 0; r < n; ++r) all[r] = r;
    ix->add_rows(ids, rows, all, dim);
  }
  ix->save(file, generation, n, dim);
  return ix;
}

size_t AnnIndex::default_breadth(size_t k) { return std::max(kSearchEf, 2 * k); }

std::vector<std::pair<int64_t, float>> AnnIndex::search(std::span<const float> query, size_t k, size_t breadth) const {
  // hnswlib keeps its search breadth in the graph (setEf, unsynchronised), and walks with
  // max(that, k): asking for `breadth` results and keeping the best k sets it per query instead.
  auto heap = graph_->searchKnn(query.data(), std::max(k, breadth ? breadth : default_breadth(k)));
  while (heap.size() > k) heap.pop();
  std::vector<std::pair<int64_t, float>> out(heap.size());
  for (size_t i = heap.size(); i-- > 0; heap.pop())
    out[i] = {static_cast<int64_t>(heap.top().second), 1.0f - heap.top().first};
  return out;
}

const float* AnnIndex::vector(int64_t chunk_id) const {
  const auto it = graph_->label_lookup_.find(static_cast<hnswlib::labeltype>(chunk_id));
  if (it == graph_->label_lookup_.end() || graph_->isMarkedDeleted(it->second)) return nullptr;
  return reinterpret_cast<const float*>(graph_->getDataByInternalId(it->second));
}

}  // namespace airlock::rag
