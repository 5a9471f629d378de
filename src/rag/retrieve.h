// Hybrid retrieval: the best BM25 candidates and the best vector candidates, fused by reciprocal
// rank (each list contributes 1 / (60 + rank)), so a chunk both sides like rises to the top and
// neither side's score scale matters. The vector side is weighted by how clearly its best hit
// beats chance (see retrieve.cpp).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rag/collection.h"
#include "rag/search_index.h"

namespace airlock::rag {

enum class SearchMode { Hybrid, BM25, Vector };

struct SearchOptions {
  size_t k = 8;
  std::string path_prefix{};
  SearchMode mode = SearchMode::Hybrid;
  size_t candidates = 50;  // per side, before fusion
};

struct SearchHit {
  StoredChunk chunk;
  double score = 0;          // fused (RRF) score; the sole side's score in a single mode
  int bm25_rank = 0;         // 1-based; 0: not among the BM25 candidates
  double bm25 = 0;
  int vector_rank = 0;       // 1-based; 0: not among the vector candidates
  double similarity = 0;     // cosine similarity to the query (computed for every hit)
};

// Where one search's time went (bench/rag): wall and this thread's CPU time per stage, so a slow
// query on a busy machine shows whether it worked longer or waited.
struct SearchTimings {
  struct Stage {
    double wall_ms = 0, cpu_ms = 0;
  };
  Stage words;    // the query's terms (FTS5's tokenizer)
  Stage bm25;     // the term index's candidates
  Stage vectors;  // the vector candidates and their spread
  Stage fusion;   // reciprocal-rank fusion and the top k
  Stage fetch;    // the top k's rows from SQLite, their similarities
};

std::vector<SearchHit> search(Collection& c, const SearchIndex& index, std::span<const float> query_vector,
                              const std::string& query_text, const SearchOptions& opts,
                              SearchTimings* timings = nullptr);

// Whether a result set has anything worth answering from: some chunk matches the query's words
// (BM25) or is at least `min_similarity` close to it.
bool relevant(const std::vector<SearchHit>& hits, double min_similarity);

}  // namespace airlock::rag
