// Sampling settings of one generation: the public part of the sampler (src/sample), so that
// applications set them without any header from src/.
#pragma once
#include <cstdint>

namespace airlock {

// Defaults are those users of the familiar local servers expect.
struct SamplingParams {
  float temperature = 0.8f;     // <= 0: greedy
  int top_k = 40;               // <= 0: off
  float top_p = 0.9f;           // >= 1: off
  float min_p = 0.0f;           // <= 0: off
  float typical_p = 1.0f;       // >= 1: off
  float repeat_penalty = 1.1f;  // 1: off
  int repeat_last_n = 64;       // 0: off, -1: whole context
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  uint64_t seed = 0;            // same seed + same input = same output
  bool has_seed = false;        // false: seeded from the clock
};

}  // namespace airlock
