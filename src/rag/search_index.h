// What a search holds in memory for one collection at one generation: the vectors (and their graph)
// and the words. Built from SQLite (and vectors.hnsw) once; the server keeps recent ones.
#pragma once
#include "rag/collection.h"
#include "rag/term_index.h"
#include "rag/vector_index.h"

namespace airlock::rag {

struct SearchIndex {
  explicit SearchIndex(Collection& c, size_t ann_threshold = VectorIndex::kAnnThreshold)
      : vectors(c, ann_threshold), terms(c) {}
  int64_t generation() const { return vectors.generation(); }

  VectorIndex vectors;
  TermIndex terms;
};

}  // namespace airlock::rag
