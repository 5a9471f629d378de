// Turns an encoder's per-token hidden states into one embedding vector.
#pragma once
#include <cstdint>
#include <vector>

#include "model/hparams.h"

namespace airlock::model {

// hidden: n_tokens rows of n_embd. Mean: average of all rows; Cls: the first; Last: the last.
// Throws airlock::Error for Pooling::None or no tokens.
std::vector<float> pool(const float* hidden, int64_t n_tokens, int64_t n_embd, Pooling how);

// Scales v to unit Euclidean length (a zero vector stays zero).
void l2_normalize(std::vector<float>& v);

}  // namespace airlock::model
