// BM25 over a collection's chunks from a compact in-memory inverted index, built from SQLite with
// FTS5's own tokenizer and scored with FTS5's formula (k1 = 1.2, b = 0.75, text and heading as one
// field). FTS5 itself computes a full ranking row for every chunk that holds any query word; at a
// million chunks a common word matches hundreds of thousands of rows, and one query took seconds
// (bench/rag). Here a posting costs a few nanoseconds: a varint row gap, a term count, one add.
// Building it reads and tokenizes every chunk (about a minute per million), so it is saved beside
// collection.db as terms.idx (saved_index.h) and loaded while the collection is unchanged.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "rag/collection.h"

namespace airlock::rag {

struct BM25Hit {
  int64_t chunk_id;
  double score;  // higher is better
};

class TermIndex {
 public:
  // Loads terms.idx when it is of the collection's current generation and intact; builds it from
  // SQLite and saves it otherwise (kept in memory only where the folder is read-only).
  explicit TermIndex(Collection& c);
  bool loaded() const { return loaded_; }

  // The `limit` best chunks for the query's words whose document path starts with `path_prefix`.
  // Words found in more than half of the chunks are left out (FTS5 gives them next to no weight,
  // and a chunk matching only "the" is no match), keeping the rarest word when all are that common.
  std::vector<BM25Hit> search(const std::vector<std::string>& query_terms, size_t limit,
                              const std::string& path_prefix) const;
  size_t size() const { return ids_.size(); }
  size_t postings() const { return postings_; }

 private:
  struct Term {
    uint64_t offset = 0;  // into bytes_
    uint64_t length = 0;
    uint32_t chunks = 0;  // document frequency
  };
  std::vector<int64_t> ids_;         // chunk id per row
  std::vector<uint32_t> length_;     // terms per row
  std::vector<uint32_t> path_of_;    // index into paths_, per row
  std::vector<std::string> paths_;
  std::unordered_map<std::string, Term> terms_;
  std::vector<uint8_t> bytes_;       // every term's postings: (varint row gap, varint count) pairs
  double mean_length_ = 0;
  size_t postings_ = 0;
  bool loaded_ = false;

  TermIndex() = default;
  void build(Collection& c);
  // term_index_file.cpp: the saved form. load() checks every offset and posting, so a file that
  // passed its checksum but is not what save() wrote is refused, never trusted.
  void save(const std::filesystem::path& file, int64_t generation) const;
  bool load(const std::filesystem::path& file, int64_t generation);
};

}  // namespace airlock::rag
