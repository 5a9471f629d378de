#include "rag/local_embedder.h"

#include <airlock/error.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "store/store.h"

namespace airlock::rag {

LocalEmbedder::LocalEmbedder(const std::filesystem::path& store_dir, const std::string& name, int threads) {
  std::filesystem::path path;
  try {
    path = store::Store(store_dir).resolve(name).model_path;
  } catch (const Error& e) {
    throw Error("the collection's embedding model '" + name + "' is not in the store " + store_dir.string() + " (" +
                e.what() + "); pull or import it again, or make a new collection");
  }
  workers_ = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Each worker embeds its own input on one core: for encoders of this size that beats splitting
  // one short sequence over all cores, whose threads would mostly wait on each other.
  model_ = Model::load(path, {.n_ctx = 1 << 20, .n_threads = 1});
  if (!model_->info().is_embedding) throw Error("'" + name + "' is not an embedding model");
}

size_t LocalEmbedder::count_tokens(std::string_view text) const { return model_->tokenize(text, false).size(); }

size_t LocalEmbedder::context_tokens() const { return static_cast<size_t>(model_->info().n_ctx); }

std::vector<std::vector<float>> LocalEmbedder::embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out(texts.size());
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex mu;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < texts.size();) {
      try {
        out[i] = model_->embed(texts[i], true);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  const size_t n = std::min<size_t>(static_cast<size_t>(workers_), texts.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return out;
}

}  // namespace airlock::rag
