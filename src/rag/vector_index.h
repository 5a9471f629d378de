// Nearest-neighbour search over a collection's embeddings (unit vectors: cosine similarity = dot
// product), loaded from SQLite; `generation` tells a cache whether the collection changed since.
// Small collections are searched exactly over one matrix; large ones through an HNSW graph, which
// then holds the only copy of the vectors (exact path-prefix searches read them from it).
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "rag/ann_index.h"
#include "rag/collection.h"
#include "rag/similarity_moments.h"

namespace airlock::rag {

struct VectorHit {
  int64_t chunk_id;
  float similarity;
};

class VectorIndex {
 public:
  // From this many embeddings on, searches without a path prefix go through an HNSW graph
  // (ann_index.h) instead of comparing every vector; below it, exact search is fast enough.
  static constexpr size_t kAnnThreshold = 20000;
  // `ann_threshold` = SIZE_MAX: always exact (to measure the graph's recall against).
  explicit VectorIndex(Collection& c, size_t ann_threshold = kAnnThreshold);
  ~VectorIndex();
  // How far the best similarity stands above all of them: (best - mean) / standard deviation,
  // over the n chunks searched.
  struct Spread {
    double top_z = 0;
    size_t n = 0;
  };
  // The `k` most similar chunks whose document path starts with `path_prefix`.
  // `breadth`: the graph's search breadth (AnnIndex::search); 0 for its default.
  std::vector<VectorHit> search(std::span<const float> query, size_t k, const std::string& path_prefix,
                                Spread* spread = nullptr, size_t breadth = 0) const;
  // Cosine similarity of one chunk to the query; 0 when the chunk has no embedding.
  float similarity(int64_t chunk_id, std::span<const float> query) const;
  int64_t generation() const { return generation_; }
  size_t size() const { return ids_.size(); }
  size_t dim() const { return dim_; }
  bool approximate() const { return ann_ != nullptr; }
  // How the graph came to be (only when approximate()).
  AnnIndex::Origin graph_origin() const { return ann_->origin(); }

 private:
  int64_t generation_ = 0;
  size_t dim_ = 0;
  std::vector<int64_t> ids_;
  std::vector<uint32_t> path_of_;    // index into paths_, per row
  std::vector<std::string> paths_;
  std::vector<float> matrix_;        // ids_.size() rows of dim_; emptied once the graph holds them
  std::vector<const float*> row_;    // each row's vector, in matrix_ or in the graph
  std::unordered_map<int64_t, size_t> row_of_;
  std::unique_ptr<AnnIndex> ann_;
  SimilarityMoments moments_;        // with the graph: what chance gives, for Spread
};

}  // namespace airlock::rag
