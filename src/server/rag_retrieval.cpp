#include "server/rag_retrieval.h"

#include <airlock/error.h>

#include "rag/collections.h"

namespace airlock::server {

size_t RunnerEmbedder::count_tokens(std::string_view text) const {
  return r_.tokenizer().encode(text, false, false).size();
}

size_t RunnerEmbedder::context_tokens() const { return static_cast<size_t>(r_.n_ctx()); }

std::vector<std::vector<float>> RunnerEmbedder::embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out;
  for (const auto& t : texts) out.push_back(r_.embed(r_.tokenizer().encode(t, true, false), true, true));
  return out;
}

rag::QueryResult retrieve(ServerState& state, const std::string& collection, const std::string& query,
                          const rag::SearchOptions& opts) {
  rag::Collection c(rag::collection_dir(state.config.models_dir, collection));
  const std::string model = c.settings().embed_model;
  std::shared_ptr<Lease> lease;
  try {
    lease = state.models.acquire(model, std::nullopt);
  } catch (const std::runtime_error& e) {  // missing or broken: either way, name the model
    throw Error("collection '" + collection + "': its embedding model '" + model + "' cannot be loaded: " + e.what(),
                ErrorKind::NotFound);
  }
  RunnerEmbedder embedder(lease->runner());
  const rag::VectorIndex index(c);
  return rag::run_query(c, index, embedder, query, opts);
}

}  // namespace airlock::server
