// Prefix sharing across KV slots: a sequence that takes another's rows (Context::copy_prefix)
// continues exactly as if it had evaluated them itself, and the Scheduler's jobs whose prompts start
// with tokens another slot holds or is evaluating sample what a cold run samples (same seed) while
// evaluating the shared tokens only once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "airlock/error.h"
#include "engine/scheduler.h"
#include "model/context.h"
#include "model/model.h"
#include "support/fixtures.h"

namespace airlock {
namespace {

std::unique_ptr<model::Model> load_model() {
  return model::Model::load(fixtures::dir() / "models" / "llama-spm-q8_0.gguf");
}

// Deterministic token ids spread over the vocabulary; `salt` makes different tails.
std::vector<int32_t> tokens(size_t n, int32_t salt) {
  std::vector<int32_t> t;
  for (size_t i = 0; i < n; ++i) t.push_back(static_cast<int32_t>(100 + (i * 7919 + static_cast<size_t>(salt) * 104729) % 30000));
  return t;
}

std::vector<int32_t> concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<float> last_logits(model::Context& ctx, int seq, const std::vector<int32_t>& t, int64_t from) {
  model::Batch b;
  for (size_t i = static_cast<size_t>(from); i < t.size(); ++i)
    b.push_back({t[i], static_cast<int64_t>(i), seq, i + 1 == t.size()});
  const auto out = ctx.forward(b);
  return {out.begin(), out.end()};
}

TEST(SharedPrefix, CopiedRowsContinueLikeEvaluatedOnes) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto m = load_model();
  const model::ContextParams p{.n_ctx = 128, .n_seq = 2, .n_batch = 128};
  const auto shared = tokens(40, 1);
  const auto prompt = concat(shared, tokens(9, 2));

  model::Context cold(*m, p, nullptr);
  const auto expected = last_logits(cold, 0, prompt, 0);

  model::Context warm(*m, p, nullptr);
  last_logits(warm, 0, concat(shared, tokens(5, 3)), 0);
  last_logits(warm, 1, std::vector<int32_t>(shared.begin(), shared.begin() + 10), 0);
  warm.copy_prefix(0, 1, 10, 40);  // sequence 1 already holds the first 10 itself
  ASSERT_EQ(warm.seq_len(1), 40);
  const auto got = last_logits(warm, 1, prompt, 40);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-4f * (1 + std::abs(expected[i]))) << i;

  EXPECT_THROW(warm.copy_prefix(0, 1, 0, 40), Error);   // dst holds more than `from`
  EXPECT_THROW(warm.copy_prefix(0, 1, 49, 60), Error);  // past src's length
  EXPECT_THROW(warm.copy_prefix(1, 1, 49, 49), Error);  // same sequence
}

struct Result {
  std::vector<int32_t> tokens;
  engine::JobStats stats;
};

// Submits a seeded sampling job; `started` (optional) is set at its first generated token.
// With `shift_keep` >= 0 the job shifts its context (keeping that many tokens) instead of ending;
// `started` then waits for `started_after` tokens.
std::future<Result> submit(engine::Scheduler& s, const std::vector<int32_t>& prompt, int64_t n,
                           std::promise<void>* started = nullptr, int64_t shift_keep = -1,
                           size_t started_after = 1) {
  auto job = std::make_shared<engine::Job>();
  job->shift = shift_keep >= 0;
  job->n_keep = std::max<int64_t>(shift_keep, 0);
  job->prompt = prompt;
  job->sampling.temperature = 0.9f;
  job->sampling.seed = 1234;
  job->sampling.has_seed = true;
  job->num_predict = n;
  auto result = std::make_shared<Result>();
  auto done = std::make_shared<std::promise<Result>>();
  job->on_token = [result, started, started_after](int32_t t, float, std::span<const TokenChoice>) {
    result->tokens.push_back(t);
    if (result->tokens.size() == started_after && started) started->set_value();
  };
  job->on_done = [result, done](engine::DoneReason, const engine::JobStats& st) {
    result->stats = st;
    done->set_value(*result);
  };
  job->on_error = [done](const Error& e, const engine::JobStats&) {
    done->set_exception(std::make_exception_ptr(e));
  };
  auto f = done->get_future();
  EXPECT_TRUE(s.submit(job));
  return f;
}

class SharedPrefixScheduler : public ::testing::Test {
 protected:
  void SetUp() override {
    AIRLOCK_REQUIRE_FIXTURES();
    model_ = load_model();
  }
  std::unique_ptr<engine::Scheduler> scheduler(bool share_prefixes = true) {
    // Small batches: the shared prefix takes several steps, so a second job can meet it half done.
    const model::ContextParams p{.n_ctx = 256, .n_seq = 3, .n_batch = 16};
    return std::make_unique<engine::Scheduler>(
        *model_, p, nullptr,
        [] {
          return engine::TokenText{.is_end = [](int32_t) { return false; },
                                   .piece = [](int32_t) { return std::string(); },
                                   .finish = [] { return std::string(); }};
        },
        8, share_prefixes);
  }
  std::unique_ptr<model::Model> model_;
  const std::vector<int32_t> shared_ = tokens(100, 1);
  const std::vector<int32_t> mine_ = concat(shared_, tokens(7, 2));
  const std::vector<int32_t> other_ = concat(shared_, tokens(11, 3));
};

TEST_F(SharedPrefixScheduler, PromptBorrowsTheRowsABusySlotHolds) {
  const Result cold = submit(*scheduler(), mine_, 6).get();
  EXPECT_EQ(cold.stats.prompt_tokens, static_cast<int64_t>(mine_.size()));

  auto s = scheduler();
  std::promise<void> started;
  auto busy = submit(*s, other_, 40, &started);  // still generating when the next job comes
  started.get_future().wait();
  const Result warm = submit(*s, mine_, 6).get();
  EXPECT_EQ(warm.tokens, cold.tokens);
  EXPECT_EQ(warm.stats.prompt_tokens, static_cast<int64_t>(mine_.size() - shared_.size()));
  EXPECT_EQ(warm.stats.prompt_total, static_cast<int64_t>(mine_.size()));
  busy.get();
}

TEST_F(SharedPrefixScheduler, ConcurrentPromptsEvaluateTheSharedPrefixOnce) {
  const Result cold = submit(*scheduler(), mine_, 6).get();
  auto s = scheduler();
  auto a = submit(*s, other_, 6);
  auto b = submit(*s, mine_, 6);
  const Result ra = a.get(), rb = b.get();
  EXPECT_EQ(rb.tokens, cold.tokens);
  // Each evaluates its own tail; the shared prefix is evaluated once, except for the few tokens
  // (under the scheduler's 16) that a job evaluates beside the other rather than wait a step for.
  const auto once = static_cast<int64_t>(shared_.size() + (mine_.size() - shared_.size()) + (other_.size() - shared_.size()));
  EXPECT_GE(ra.stats.prompt_tokens + rb.stats.prompt_tokens, once);
  EXPECT_LT(ra.stats.prompt_tokens + rb.stats.prompt_tokens, once + 16);
}

// Sharing off (the server's prefix_sharing false): a second slot evaluates the common start
// itself, with the same output.
TEST_F(SharedPrefixScheduler, SharingOffEvaluatesEveryPrompt) {
  const Result cold = submit(*scheduler(), mine_, 6).get();
  auto s = scheduler(false);
  std::promise<void> started;
  auto busy = submit(*s, other_, 40, &started);
  started.get_future().wait();
  const Result warm = submit(*s, mine_, 6).get();
  EXPECT_EQ(warm.tokens, cold.tokens);
  EXPECT_EQ(warm.stats.prompt_tokens, static_cast<int64_t>(mine_.size()));
  busy.get();
}

// Regression: a slot that has shifted its context holds rows, past its kept start, computed beside
// the tokens the shift dropped. A prompt that matches those token ids must evaluate them itself,
// not copy the stale rows, or it samples differently from a cold run.
TEST_F(SharedPrefixScheduler, RowsAShiftedSlotHoldsAreNotBorrowed) {
  const int64_t keep = 4, n = 230;  // 111 prompt tokens + 230 outputs overflow the 256-token context
  const Result first = submit(*scheduler(), other_, n, nullptr, keep).get();
  ASSERT_GE(first.stats.context_shifts, 1);
  // After the first shift (at 256 tokens) the slot holds other_[0..4) followed by the outputs
  // from index (256 - 4) / 2 + 4 - 111 on: a prompt made of exactly those ids.
  const size_t from = (256 - keep) / 2 + keep - other_.size();
  std::vector<int32_t> lookalike(other_.begin(), other_.begin() + keep);
  lookalike.insert(lookalike.end(), first.tokens.begin() + static_cast<std::ptrdiff_t>(from),
                   first.tokens.begin() + static_cast<std::ptrdiff_t>(from + 60));
  lookalike = concat(lookalike, tokens(5, 4));
  const Result cold = submit(*scheduler(), lookalike, 6).get();

  auto s = scheduler();
  std::promise<void> shifted;
  auto busy = submit(*s, other_, n, &shifted, keep, 180);  // past the first shift, still generating
  shifted.get_future().wait();
  const Result warm = submit(*s, lookalike, 6).get();
  EXPECT_EQ(warm.tokens, cold.tokens);
  EXPECT_GE(warm.stats.prompt_tokens, static_cast<int64_t>(lookalike.size()) - keep);
  busy.get();
}

}  // namespace
}  // namespace airlock
