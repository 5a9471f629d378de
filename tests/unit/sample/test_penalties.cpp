// Repeat, presence and frequency penalties, read back from the sampled distribution: with no
// truncation and temperature 1, log(p_i / p_j) is the difference of the penalised logits.
#include <gtest/gtest.h>

#include <cmath>

#include "sample/sampler.h"

using namespace airlock;

namespace {

SamplingParams plain() {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.repeat_penalty = 1.0f;
  p.has_seed = true;
  return p;
}

// Penalised logit of `id` relative to token 0, which the tests never penalise and give logit 0.
double relative_logit(const Sampler& s, int32_t id) {
  double p0 = 0, pi = 0;
  for (const auto& c : s.candidates()) {
    if (c.id == 0) p0 = c.p;
    if (c.id == id) pi = c.p;
  }
  return std::log(pi / p0);
}

}  // namespace

TEST(Penalties, RepeatDividesPositiveMultipliesNegativeOncePerToken) {
  const std::vector<float> logits = {0.0f, 2.0f, -1.0f, 3.0f};
  SamplingParams p = plain();
  p.repeat_penalty = 2.0f;
  Sampler s(p, 4);
  for (int32_t t : {1, 2, 1, 1}) s.accept(t);
  s.sample(logits.data());
  EXPECT_NEAR(relative_logit(s, 1), 1.0, 1e-5);   // 2 / 2, once despite three occurrences
  EXPECT_NEAR(relative_logit(s, 2), -2.0, 1e-5);  // -1 * 2
  EXPECT_NEAR(relative_logit(s, 3), 3.0, 1e-5);   // not seen
}

TEST(Penalties, RepeatWindowForgetsOldTokens) {
  const std::vector<float> logits = {0.0f, 2.0f, 2.0f, 2.0f};
  SamplingParams p = plain();
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler s(p, 4);
  for (int32_t t : {1, 2, 3}) s.accept(t);  // token 1 has left the window
  s.sample(logits.data());
  EXPECT_NEAR(relative_logit(s, 1), 2.0, 1e-5);
  EXPECT_NEAR(relative_logit(s, 2), 1.0, 1e-5);
  EXPECT_NEAR(relative_logit(s, 3), 1.0, 1e-5);
  s.reset();
  s.sample(logits.data());
  EXPECT_NEAR(relative_logit(s, 3), 2.0, 1e-5);
}

TEST(Penalties, PresenceAndFrequencyFollowOpenAI) {
  const std::vector<float> logits = {0.0f, 1.0f, 1.0f, 1.0f};
  SamplingParams p = plain();
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  p.repeat_last_n = 1;  // does not limit presence/frequency, which count every accepted token
  Sampler s(p, 4);
  for (int32_t t : {1, 1, 1, 2}) s.accept(t);
  s.sample(logits.data());
  EXPECT_NEAR(relative_logit(s, 1), 1.0 - 3 * 0.25 - 0.5, 1e-5);
  EXPECT_NEAR(relative_logit(s, 2), 1.0 - 1 * 0.25 - 0.5, 1e-5);
  EXPECT_NEAR(relative_logit(s, 3), 1.0, 1e-5);
}

TEST(Penalties, RepeatPenaltyCanChangeTheGreedyChoice) {
  const std::vector<float> logits = {0.0f, 2.0f, 1.5f};
  SamplingParams p = plain();
  p.temperature = 0.0f;
  p.repeat_penalty = 1.5f;
  Sampler s(p, 3);
  EXPECT_EQ(s.sample(logits.data()), 1);
  s.accept(1);
  EXPECT_EQ(s.sample(logits.data()), 2);  // 2 / 1.5 = 1.33 < 1.5
}
