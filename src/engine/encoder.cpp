#include "engine/encoder.h"

#include <airlock/error.h>

#include <string>

#include "model/embed.h"

namespace airlock::engine {

namespace {
model::ContextParams encoder_params(const model::Model& model, int64_t n_ctx) {
  model::ContextParams cp;
  cp.n_ctx = std::min<int64_t>(n_ctx, model.hparams().n_ctx_train);
  cp.n_seq = 1;
  cp.n_batch = cp.n_ctx;  // an embedding is one pass over the whole input
  return cp;
}
}  // namespace

Encoder::Encoder(const model::Model& model, int64_t n_ctx, ThreadPool* pool) : ctx_(model, encoder_params(model, n_ctx), pool) {}

std::vector<float> Encoder::embed(std::vector<int32_t> tokens, bool truncate, bool keep_last, bool normalize) {
  const auto limit = static_cast<size_t>(ctx_.n_ctx());
  if (tokens.size() > limit) {
    if (!truncate)
      throw Error("input is " + std::to_string(tokens.size()) + " tokens, the context holds " + std::to_string(limit));
    const int32_t last = tokens.back();
    tokens.resize(limit);
    if (keep_last) tokens.back() = last;
  }
  std::lock_guard lock(mu_);
  return model::embed_tokens(ctx_, tokens, normalize);
}

}  // namespace airlock::engine
