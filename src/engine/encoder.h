// Embeddings from an encoder model (BERT family): one context, used by one caller at a time, that
// turns token lists into pooled vectors. Inputs longer than the context are cut to it or refused.
#pragma once
#include <cstdint>
#include <mutex>
#include <vector>

#include "model/context.h"

namespace airlock::engine {

class Encoder {
 public:
  Encoder(const model::Model& model, int64_t n_ctx, ThreadPool* pool);

  // The pooled embedding of `tokens` (unit length with `normalize`). Longer than the context:
  // with `truncate` cut to it, keeping the last token when `keep_last` (a WordPiece model's closing
  // [SEP]); else airlock::Error. Serialised: one forward pass at a time.
  std::vector<float> embed(std::vector<int32_t> tokens, bool truncate, bool keep_last, bool normalize);
  int64_t n_ctx() const { return ctx_.n_ctx(); }

 private:
  model::Context ctx_;
  std::mutex mu_;
};

}  // namespace airlock::engine
