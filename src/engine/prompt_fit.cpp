#include "engine/prompt_fit.h"

#include <algorithm>

namespace airlock::engine {

int64_t answer_room(int64_t n_ctx, int64_t num_predict) {
  const int64_t room = num_predict > 0 && num_predict <= n_ctx / 2 ? num_predict : n_ctx / 4;
  return std::max<int64_t>(room, 1);
}

std::vector<int32_t> fit_prompt(const std::vector<int32_t>& prompt, int64_t n_ctx, int64_t n_keep, int64_t num_predict) {
  const auto n = static_cast<int64_t>(prompt.size());
  if (n < n_ctx) return prompt;
  const int64_t target = std::max<int64_t>(n_ctx - answer_room(n_ctx, num_predict), 1);
  // The kept head never crowds out the latest tokens: they get at least half.
  const int64_t head = std::clamp<int64_t>(n_keep, 0, target / 2);
  std::vector<int32_t> out(prompt.begin(), prompt.begin() + head);
  out.insert(out.end(), prompt.end() - (target - head), prompt.end());
  return out;
}

}  // namespace airlock::engine
