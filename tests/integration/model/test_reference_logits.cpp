// The acceptance bar: our forward pass against llama.cpp's outputs for the fixture models, fed the
// reference token ids (tokenisation is tested on its own).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "model/context.h"
#include "model/model.h"
#include "reference.h"
#include "support/fixtures.h"
#include "tokenizer/tokenizer.h"

namespace airlock {
namespace {

using testing::Reference;

constexpr double kGapFraction = 0.08;  // positions closer than this (in units of s) may flip
constexpr double kMaxRmsFraction = 0.05;
constexpr double kMinCosine = 0.999;

float gap(const std::vector<testing::TopEntry>& top) { return top.at(0).logit - top.at(1).logit; }

model::Batch prompt_batch(const std::vector<int32_t>& tokens, bool all_outputs) {
  model::Batch b;
  for (size_t i = 0; i < tokens.size(); ++i)
    b.push_back({tokens[i], static_cast<int64_t>(i), 0, all_outputs || i + 1 == tokens.size()});
  return b;
}

class ReferenceLogits : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferenceLogits, MatchesReference) {
  AIRLOCK_REQUIRE_FIXTURES();
  const Reference ref = testing::load_reference(GetParam());
  auto m = model::Model::load(ref.model_file);
  ASSERT_EQ(m->hparams().n_vocab, ref.n_vocab);
  const auto tok = tokenizer::Tokenizer::from_gguf(m->file());
  const auto V = static_cast<size_t>(ref.n_vocab);
  double worst_rms = 0, worst_cos = 1;
  size_t greedy_checked = 0, greedy_total = 0;

  for (size_t ci = 0; ci < ref.cases.size(); ++ci) {
    const auto& c = ref.cases[ci];
    SCOPED_TRACE("case " + std::to_string(ci) + ": " + c.prompt);
    ASSERT_EQ(c.last_logits.size(), V);
    EXPECT_EQ(tok->encode(c.prompt, true, false), c.tokens);
    const double s = testing::rms_about_mean(c.last_logits);
    model::Context ctx(*m, {.n_ctx = 512, .n_seq = 1, .n_batch = 512}, nullptr);

    auto out = ctx.forward(prompt_batch(c.tokens, true));
    ASSERT_EQ(out.size(), c.tokens.size() * V);
    for (size_t p = 0; p < c.tokens.size(); ++p) {
      if (gap(c.prompt_top[p]) < kGapFraction * s) continue;
      EXPECT_EQ(testing::argmax(out.data() + p * V, V), c.prompt_top[p][0].id) << "position " << p;
    }
    const float* last = out.data() + (c.tokens.size() - 1) * V;
    const double rms = testing::rms_diff(last, c.last_logits.data(), V) / s;
    const double cos = testing::cosine(last, c.last_logits.data(), V);
    EXPECT_LE(rms, kMaxRmsFraction);
    EXPECT_GE(cos, kMinCosine);
    worst_rms = std::max(worst_rms, rms);
    worst_cos = std::min(worst_cos, cos);

    // Greedy continuation, one token per pass, up to the first step the reference itself calls close.
    int32_t next = testing::argmax(last, V);
    for (size_t step = 0; step < c.greedy.size(); ++step) {
      ++greedy_total;
      if (gap(c.greedy_top[step]) < kGapFraction * s) break;
      ASSERT_EQ(next, c.greedy[step]) << "greedy step " << step;
      ++greedy_checked;
      if (step + 1 == c.greedy.size()) break;
      auto o = ctx.forward({{next, static_cast<int64_t>(c.tokens.size() + step), 0, true}});
      next = testing::argmax(o.data(), V);
    }
  }
  std::printf("[ measure ] %s: worst last-logits RMS %.2f%% of s, worst cosine %.6f, greedy %zu/%zu ids compared and equal\n",
              GetParam(), 100 * worst_rms, worst_cos, greedy_checked, greedy_total);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReferenceLogits,
                         ::testing::Values("stories260K", "llama-spm-q8_0", "llama-spm-q4_0",
                                           "llama-spm-q4_k_m", "llama-spm-q5_k_m", "llama-spm-q2_k",
                                           "qwen2-gpt2-q8_0", "qwen2-gpt2-q4_k_m"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// stories260K is a real trained model with F32 weights: every one of its greedy tokens must match.
TEST(ReferenceGreedy, Stories260KReproducesAllTokens) {
  AIRLOCK_REQUIRE_FIXTURES();
  const Reference ref = testing::load_reference("stories260K");
  auto m = model::Model::load(ref.model_file);
  const auto V = static_cast<size_t>(ref.n_vocab);
  for (const auto& c : ref.cases) {
    model::Context ctx(*m, {.n_ctx = 512, .n_seq = 1, .n_batch = 512}, nullptr);
    auto out = ctx.forward(prompt_batch(c.tokens, false));
    std::vector<int32_t> got;
    int32_t next = testing::argmax(out.data(), V);
    while (got.size() < c.greedy.size()) {
      got.push_back(next);
      auto o = ctx.forward({{next, static_cast<int64_t>(c.tokens.size() + got.size() - 1), 0, true}});
      next = testing::argmax(o.data(), V);
    }
    EXPECT_EQ(got, c.greedy) << c.prompt;
  }
}

}  // namespace
}  // namespace airlock
