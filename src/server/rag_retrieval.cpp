#include "server/rag_retrieval.h"

#include <airlock/error.h>

#include <list>
#include <mutex>

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

std::shared_ptr<const rag::SearchIndex> search_index(rag::Collection& c) {
  // Loading every vector (and a graph) per query would cost more than the search: the last few
  // collections' indexes stay in memory until their collection changes.
  static std::mutex mu;
  static std::list<std::shared_ptr<const rag::SearchIndex>> recent;  // most recent first
  static std::list<std::string> dirs;
  constexpr size_t kKept = 8;
  const std::string dir = c.dir().string();
  const int64_t generation = c.generation();
  {
    std::lock_guard lock(mu);
    auto d = dirs.begin();
    for (auto it = recent.begin(); it != recent.end(); ++it, ++d)
      if (*d == dir) {
        if ((*it)->generation() == generation) return *it;
        recent.erase(it);
        dirs.erase(d);
        break;
      }
  }
  auto index = std::make_shared<const rag::SearchIndex>(c);  // outside the lock: may take a while
  std::lock_guard lock(mu);
  recent.push_front(index);
  dirs.push_front(dir);
  if (recent.size() > kKept) {
    recent.pop_back();
    dirs.pop_back();
  }
  return index;
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
  return rag::run_query(c, *search_index(c), embedder, query, opts);
}

}  // namespace airlock::server
