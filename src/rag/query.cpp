#include "rag/query.h"

#include <chrono>

#include "rag/answer_prompt.h"
#include "rag/event_log.h"

namespace airlock::rag {

QueryResult run_query(Collection& c, const SearchIndex& index, Embedder& e, const std::string& query,
                      const SearchOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  QueryResult r;
  std::vector<float> vec;
  if (opts.mode != SearchMode::BM25) {
    auto q = embed_query(e, query);
    r.truncated = q.truncated;
    r.query_tokens = q.tokens;
    vec = std::move(q.vector);
  }
  r.hits = search(c, index, vec, query, opts);
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& h : r.hits) ids.push_back(h.chunk.id);
  log_event(c.dir(), {{"event", "query"}, {"collection", c.name()}, {"query", query}, {"k", opts.k},
                      {"path_prefix", opts.path_prefix}, {"chunk_ids", ids}, {"truncated", r.truncated},
                      {"duration_ms", r.ms}});
  return r;
}

nlohmann::json query_json(const std::string& collection, const std::string& query, const QueryResult& r) {
  nlohmann::json hits = nlohmann::json::array();
  for (size_t i = 0; i < r.hits.size(); ++i) hits.push_back(source_json(r.hits[i], static_cast<int>(i + 1)));
  nlohmann::json j = {{"collection", collection}, {"query", query}, {"results", hits}, {"duration_ms", r.ms}};
  if (r.truncated)
    j["warning"] = "the query has " + std::to_string(r.query_tokens) +
                   " tokens, more than the embedding model's context; only its beginning was embedded";
  return j;
}

}  // namespace airlock::rag
