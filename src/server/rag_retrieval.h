// Retrieval as the server runs it: a collection's query embedded by its embedding model as the
// model manager has it loaded (like /api/embed), then hybrid search. Shared by /api/rag/query and
// the `rag` step of the chat routes.
#pragma once
#include <string>

#include "rag/embedder.h"
#include "rag/query.h"
#include "server/model_manager.h"
#include "server/runner.h"
#include "server/server_state.h"

namespace airlock::server {

// The rag::Embedder view of an encoder the server has loaded.
class RunnerEmbedder : public rag::Embedder {
 public:
  explicit RunnerEmbedder(Runner& r) : r_(r) {}
  size_t count_tokens(std::string_view text) const override;
  size_t context_tokens() const override;
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override;

 private:
  Runner& r_;
};

// The collection's vector index, cached per collection until it changes. An ingest calls it too,
// so a large collection's graph is built then, not by the next query.
std::shared_ptr<const rag::SearchIndex> search_index(rag::Collection& c);

// Loads the collection's embedding model (a 404 naming it when it is gone from the store) and
// runs the query. The model's lease ends before this returns, so a chat model loaded next does
// not compete with it for a slot.
rag::QueryResult retrieve(ServerState& state, const std::string& collection, const std::string& query,
                          const rag::SearchOptions& opts);

}  // namespace airlock::server
