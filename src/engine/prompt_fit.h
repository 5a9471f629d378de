// Fitting an overlong prompt into a context (the familiar server's `truncate: true`): the first
// n_keep tokens (BOS, the system prompt) stay, the oldest tokens after them go, and the latest
// stay, so that the answer still has room.
#pragma once
#include <cstdint>
#include <vector>

namespace airlock::engine {

// The positions left for the answer when a prompt has to be cut: num_predict when it is set and
// at most half the context, else a quarter of the context; at least 1.
int64_t answer_room(int64_t n_ctx, int64_t num_predict);

// `prompt` cut to n_ctx - answer_room(n_ctx, num_predict) tokens when it does not fit (is at
// least n_ctx long); unchanged otherwise. Keeps its first min(n_keep, half of the cut length)
// tokens and its last ones. n_ctx must be at least 2.
std::vector<int32_t> fit_prompt(const std::vector<int32_t>& prompt, int64_t n_ctx, int64_t n_keep, int64_t num_predict);

}  // namespace airlock::engine
