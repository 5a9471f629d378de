// One retrieval as the CLI and the server run it: embed the query (cut to the model's context,
// noted), hybrid search, and one JSON line in the collection's event log.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rag/embedder.h"
#include "rag/retrieve.h"

namespace airlock::rag {

struct QueryResult {
  std::vector<SearchHit> hits;
  bool truncated = false;   // the query was longer than the embedding model's context
  size_t query_tokens = 0;
  double ms = 0;
};

QueryResult run_query(Collection& c, const SearchIndex& index, Embedder& e, const std::string& query,
                      const SearchOptions& opts);

// The result as JSON: query facts and one entry per hit (source_json, numbered from 1).
nlohmann::json query_json(const std::string& collection, const std::string& query, const QueryResult& r);

}  // namespace airlock::rag
