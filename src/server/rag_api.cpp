// Retrieval over HTTP: GET /api/rag/collections lists the collections in the store, POST
// /api/rag/query answers the best chunks of one with scores and sources. The query is embedded
// by the collection's embedding model as loaded by the model manager, like /api/embed.
#include <airlock/error.h>

#include "rag/collections.h"
#include "rag/query.h"
#include "server/runner.h"
#include "server/server_state.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;

// The rag::Embedder view of a loaded encoder.
class RunnerEmbedder : public rag::Embedder {
 public:
  explicit RunnerEmbedder(Runner& r) : r_(r) {}
  size_t count_tokens(std::string_view text) const override { return r_.tokenizer().encode(text, false, false).size(); }
  size_t context_tokens() const override { return static_cast<size_t>(r_.n_ctx()); }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override {
    std::vector<std::vector<float>> out;
    for (const auto& t : texts) out.push_back(r_.embed(r_.tokenizer().encode(t, true, false), true, true));
    return out;
  }

 private:
  Runner& r_;
};

void list_collections(ServerState& state, httplib::Response& res) {
  json out = json::array();
  for (const auto& name : rag::list_collections(state.config.models_dir)) {
    rag::Collection c(rag::collection_dir(state.config.models_dir, name));
    const auto s = c.stats();
    out.push_back({{"name", name}, {"embed_model", c.settings().embed_model}, {"documents", s.documents},
                   {"chunks", s.chunks}, {"size", s.disk_bytes}});
  }
  send_json(res, {{"collections", out}});
}

void query(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const std::string name = body.value("collection", "");
  const std::string text = body.value("query", "");
  if (name.empty() || text.empty()) throw Error("collection and query are required");
  const json k = body.value("top_k", json(8));
  if (!k.is_number_integer() || k.get<int64_t>() < 1 || k.get<int64_t>() > 100) throw Error("top_k: expected 1..100");
  rag::Collection c(rag::collection_dir(state.config.models_dir, name));
  const std::string model = c.settings().embed_model;
  note_model(model);
  std::shared_ptr<Lease> lease;
  try {
    lease = state.models.acquire(model, std::nullopt);
  } catch (const std::runtime_error& e) {  // airlock::Error or HttpError: either way, name the model
    throw HttpError(404, "collection '" + name + "': its embedding model '" + model + "' cannot be loaded: " + e.what());
  }
  RunnerEmbedder embedder(lease->runner());
  const rag::VectorIndex index(c);
  rag::SearchOptions opts{.k = static_cast<size_t>(k.get<int64_t>()), .path_prefix = body.value("path_prefix", "")};
  const auto r = rag::run_query(c, index, embedder, text, opts);
  send_json(res, rag::query_json(name, text, r));
}

}  // namespace

void register_rag_api(httplib::Server& http, ServerState& state) {
  auto* s = &state;
  const auto N = ErrorStyle::Native;
  http.Get("/api/rag/collections", guarded(N, [s](const auto&, auto& r) { list_collections(*s, r); }));
  http.Post("/api/rag/query", guarded(N, [s](const auto& q, auto& r) { query(*s, q, r); }));
}

}  // namespace airlock::server
