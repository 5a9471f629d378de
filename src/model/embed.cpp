#include "model/embed.h"

#include <string>

#include "airlock/error.h"
#include "model/pooling.h"

namespace airlock::model {

std::vector<float> embed_tokens(Context& ctx, std::span<const int32_t> tokens, bool normalize) {
  const Hparams& hp = ctx.model().hparams();
  if (hp.arch->causal)
    throw Error("embedding: architecture " + std::string(hp.arch->name) + " is not an embedding model");
  if (tokens.empty()) throw Error("embedding: empty input");
  // An encoder sees the whole input at once, so it must fit one pass.
  const auto n = static_cast<int64_t>(tokens.size());
  if (n > ctx.n_batch() || n > ctx.n_ctx())
    throw Error("embedding: input of " + std::to_string(n) + " tokens exceeds the context (" +
                std::to_string(std::min(ctx.n_batch(), ctx.n_ctx())) + ")");
  ctx.truncate(0, 0);
  Batch batch;
  batch.reserve(tokens.size());
  for (int64_t i = 0; i < n; ++i) batch.push_back({tokens[static_cast<size_t>(i)], i, 0, true});
  auto hidden = ctx.forward(batch);
  auto v = pool(hidden.data(), n, hp.n_embd, hp.pooling);
  if (normalize) l2_normalize(v);
  return v;
}

}  // namespace airlock::model
