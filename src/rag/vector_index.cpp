#include "rag/vector_index.h"

#include <airlock/error.h>

#include <algorithm>
#include <cmath>

namespace airlock::rag {

VectorIndex::VectorIndex(Collection& c, size_t ann_threshold) : generation_(c.generation()) {
  std::unordered_map<std::string, uint32_t> path_ids;
  c.each_embedding([&](int64_t id, const std::string& path, std::span<const float> v) {
    if (dim_ == 0) dim_ = v.size();
    if (v.size() != dim_) throw Error(c.dir().string() + ": embeddings of different sizes in one collection");
    auto [it, added] = path_ids.emplace(path, static_cast<uint32_t>(paths_.size()));
    if (added) paths_.push_back(path);
    row_of_.emplace(id, ids_.size());
    ids_.push_back(id);
    path_of_.push_back(it->second);
    matrix_.insert(matrix_.end(), v.begin(), v.end());
  });
  row_.resize(ids_.size());
  if (ids_.size() >= ann_threshold) {
    ann_ = AnnIndex::open_or_build(c.dir() / "vectors.hnsw", generation_, ids_.data(), matrix_.data(), ids_.size(), dim_);
    for (size_t r = 0; r < ids_.size(); ++r)
      if (!(row_[r] = ann_->vector(ids_[r]))) throw Error(c.dir().string() + ": the vector graph lacks chunk " + std::to_string(ids_[r]));
    moments_ = SimilarityMoments(row_, dim_);
    // The graph has its own copy of every vector: a second one here would double the memory.
    std::vector<float>().swap(matrix_);
  } else {
    for (size_t r = 0; r < ids_.size(); ++r) row_[r] = matrix_.data() + r * dim_;
  }
}

VectorIndex::~VectorIndex() = default;

namespace {
// Eight running sums: without -ffast-math the compiler may not reorder one float sum, and eight
// independent ones vectorise.
float dot(const float* a, std::span<const float> b) {
  float s[8] = {};
  size_t d = 0;
  for (; d + 8 <= b.size(); d += 8)
    for (size_t j = 0; j < 8; ++j) s[j] += a[d + j] * b[d + j];
  float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; d < b.size(); ++d) t += a[d] * b[d];
  return t;
}

}  // namespace

float VectorIndex::similarity(int64_t chunk_id, std::span<const float> query) const {
  const auto it = row_of_.find(chunk_id);
  if (it == row_of_.end() || query.size() != dim_) return 0;
  return dot(row_[it->second], query);
}

std::vector<VectorHit> VectorIndex::search(std::span<const float> query, size_t k, const std::string& path_prefix,
                                           Spread* spread, size_t breadth) const {
  std::vector<VectorHit> hits;
  if (ids_.empty() || k == 0) return hits;
  if (query.size() != dim_)
    throw Error("query embedding has " + std::to_string(query.size()) + " dimensions, the collection " +
                std::to_string(dim_) + ": was it made with another embedding model?");
  // The graph cannot filter by path: a prefix search stays exact over the rows it keeps.
  if (ann_ && path_prefix.empty()) {
    for (const auto& [id, sim] : ann_->search(query, k, breadth)) hits.push_back({id, sim});
    if (spread && !hits.empty()) {
      double mean = 0, var = 0;
      moments_.of(query, mean, var);
      *spread = {(hits.front().similarity - mean) / std::sqrt(std::max(var, 1e-12)), ids_.size()};
    }
    return hits;
  }
  std::vector<char> allowed(paths_.size(), 1);
  if (!path_prefix.empty())
    for (size_t p = 0; p < paths_.size(); ++p) allowed[p] = paths_[p].starts_with(path_prefix);
  hits.reserve(ids_.size());
  for (size_t r = 0; r < ids_.size(); ++r) {
    if (!allowed[path_of_[r]]) continue;
    hits.push_back({ids_[r], dot(row_[r], query)});
  }
  if (spread && !hits.empty()) {
    double sum = 0, sq = 0, best = -1e30;
    for (const auto& h : hits) sum += h.similarity, sq += double(h.similarity) * h.similarity, best = std::max(best, double(h.similarity));
    const double n = static_cast<double>(hits.size()), mean = sum / n, var = std::max(sq / n - mean * mean, 1e-12);
    *spread = {(best - mean) / std::sqrt(var), hits.size()};
  }
  const size_t n = std::min(k, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end(),
                    [](const VectorHit& a, const VectorHit& b) { return a.similarity > b.similarity; });
  hits.resize(n);
  return hits;
}

}  // namespace airlock::rag
