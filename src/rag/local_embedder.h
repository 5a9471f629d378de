// An Embedder over a model this process loads itself (the CLI): the collection's embedding model
// resolved in the model store, its chunks embedded on all cores, one input per worker thread.
#pragma once
#include <airlock/airlock.h>

#include <filesystem>
#include <memory>
#include <string>

#include "rag/embedder.h"

namespace airlock::rag {

class LocalEmbedder : public Embedder {
 public:
  // Loads store model `name`; throws airlock::Error naming the model when it is not in the store
  // (say, removed after the collection was made) or is no embedding model.
  LocalEmbedder(const std::filesystem::path& store_dir, const std::string& name, int threads = 0);

  size_t count_tokens(std::string_view text) const override;
  size_t context_tokens() const override;
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override;
  const ModelInfo& info() const { return model_->info(); }

 private:
  std::shared_ptr<Model> model_;
  int workers_;
};

}  // namespace airlock::rag
