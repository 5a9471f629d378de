// fit_prompt: which tokens an overlong prompt keeps (its head of n_keep tokens and its latest ones)
// and how much room is left for the answer.
#include <gtest/gtest.h>

#include <numeric>

#include "engine/prompt_fit.h"

namespace airlock::engine {
namespace {

std::vector<int32_t> range(int32_t from, int32_t to) {
  std::vector<int32_t> v(static_cast<size_t>(to - from));
  std::iota(v.begin(), v.end(), from);
  return v;
}

std::vector<int32_t> concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(PromptFit, APromptThatFitsIsUnchanged) {
  EXPECT_EQ(fit_prompt(range(0, 63), 64, 4, -1), range(0, 63));
}

TEST(PromptFit, KeepsTheHeadAndTheLatestTokens) {
  // 100 tokens into 64 with num_predict 8: 56 kept, the first 5 and the last 51.
  EXPECT_EQ(fit_prompt(range(0, 100), 64, 5, 8), concat(range(0, 5), range(49, 100)));
  // Without num_predict a quarter of the context is left for the answer.
  EXPECT_EQ(fit_prompt(range(0, 100), 64, 0, -1), range(52, 100));
  // A num_predict above half the context gets the quarter too.
  EXPECT_EQ(fit_prompt(range(0, 100), 64, 0, 40).size(), 48u);
  // A head larger than half the kept length is cut to half: the latest tokens matter more.
  EXPECT_EQ(fit_prompt(range(0, 100), 64, 60, 8), concat(range(0, 28), range(72, 100)));
  // Exactly n_ctx tokens leaves no room either.
  EXPECT_EQ(fit_prompt(range(0, 64), 64, 1, 8).size(), 56u);
}

TEST(PromptFit, TinyContexts) {
  EXPECT_EQ(answer_room(2, -1), 1);
  EXPECT_EQ(fit_prompt(range(0, 10), 2, 1, -1), range(9, 10));
  EXPECT_EQ(fit_prompt(range(0, 10), 3, 1, 1), concat(range(0, 1), range(9, 10)));
}

}  // namespace
}  // namespace airlock::engine
