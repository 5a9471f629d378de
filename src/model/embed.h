// Embeddings of encoder models: one forward pass over the whole input, then pooling.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "model/context.h"

namespace airlock::model {

// Runs `tokens` as sequence 0 of ctx (forgetting what it held) and pools the final hidden states
// the way the model's metadata says. Throws airlock::Error for a decoder model or an input longer
// than the context or batch.
std::vector<float> embed_tokens(Context& ctx, std::span<const int32_t> tokens, bool normalize);

}  // namespace airlock::model
