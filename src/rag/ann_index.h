// An approximate nearest-neighbour graph (HNSW, Debian's header-only hnswlib) over a vector
// index's rows, for collections too large to compare every vector per query. It lives beside
// collection.db as vectors.hnsw plus vectors.hnsw.json, which names the collection generation,
// row count, dimensions, byte size and a checksum of the graph file: a graph that is missing,
// stale (the collection changed) or corrupt is rebuilt from the rows and saved again, atomically
// (the JSON, renamed last, is the commit point).
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace airlock::rag {

class AnnIndex {
 public:
  // `rows`: n unit vectors of `dim` floats, row r labelled r.
  static std::unique_ptr<AnnIndex> open_or_build(const std::filesystem::path& file, int64_t generation,
                                                 const float* rows, size_t n, size_t dim);
  ~AnnIndex();

  // Up to k (row, cosine similarity) pairs, best first. Safe from several threads at once.
  std::vector<std::pair<size_t, float>> search(std::span<const float> query, size_t k) const;
  bool loaded_from_disk() const { return loaded_; }

 private:
  AnnIndex(size_t dim);
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
  bool loaded_ = false;
};

}  // namespace airlock::rag
