// An approximate nearest-neighbour graph (HNSW, Debian's header-only hnswlib) over a collection's
// vectors, labelled by chunk id, for collections too large to compare every vector per query. It
// lives beside collection.db as vectors.hnsw plus vectors.hnsw.json, which names the collection
// generation, row count, dimensions, byte size and a checksum of the graph file. A graph that is
// stale (the collection changed) is brought up to date in place: chunks gone are marked deleted,
// new or changed ones inserted, so adding a file to a large collection costs that file's chunks,
// not the whole graph. A graph that is missing or corrupt, or holds too many deleted nodes, is
// rebuilt. Either way it is saved again atomically (the JSON, renamed last, is the commit point).
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
  // `rows`: n unit vectors of `dim` floats, row r being chunk ids[r].
  static std::unique_ptr<AnnIndex> open_or_build(const std::filesystem::path& file, int64_t generation,
                                                 const int64_t* ids, const float* rows, size_t n, size_t dim);
  ~AnnIndex();

  // Up to k (chunk id, cosine similarity) pairs, best first. Safe from several threads at once.
  // `breadth`: how many candidates the graph walk keeps (hnswlib's ef); more finds more of the
  // true top k and costs time in proportion. 0: default_breadth(k).
  std::vector<std::pair<int64_t, float>> search(std::span<const float> query, size_t k, size_t breadth = 0) const;
  static size_t default_breadth(size_t k);
  // The stored vector of a chunk (dim floats, owned by the graph); nullptr when it has none.
  const float* vector(int64_t chunk_id) const;
  enum class Origin { Loaded, Updated, Built };
  Origin origin() const { return origin_; }

 private:
  AnnIndex(size_t dim);
  // Loads a saved graph of the same dimensions whatever its generation; false when there is none
  // or it is damaged. `current`: whether it is that of `generation` with n rows.
  bool load(const std::filesystem::path& file, int64_t generation, size_t n, size_t dim, bool& current);
  // Marks the chunks no longer in the collection deleted and inserts the new or changed ones;
  // false (graph untouched) when so many nodes would be deleted that a rebuild is better.
  bool update(const int64_t* ids, const float* rows, size_t n, size_t dim);
  void add_rows(const int64_t* ids, const float* rows, const std::vector<size_t>& which, size_t dim);
  void save(const std::filesystem::path& file, int64_t generation, size_t n, size_t dim) const;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
  Origin origin_ = Origin::Built;
};

}  // namespace airlock::rag
