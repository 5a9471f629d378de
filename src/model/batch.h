// The unit of work of the forward pass: any mix of tokens from any sequences, so that a prompt is
// processed in one pass and several sequences can be decoded together.
#pragma once
#include <cstdint>
#include <vector>

namespace airlock::model {

struct BatchEntry {
  int32_t token = 0;
  int64_t pos = 0;      // position within its sequence
  int seq = 0;          // sequence id = KV cache slot
  bool output = false;  // produce this entry's logits (or hidden state for encoders)
};

using Batch = std::vector<BatchEntry>;

}  // namespace airlock::model
