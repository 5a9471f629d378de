// The batched forward pass must give the same numbers however the work is grouped: a prompt in
// one pass or token by token, and several sequences decoded together or each alone.
#include <gtest/gtest.h>

#include <vector>

#include "model/context.h"
#include "model/model.h"
#include "reference.h"
#include "support/fixtures.h"
#include "tensor/thread_pool.h"

namespace airlock {
namespace {

constexpr float kTol = 1e-4f;

std::unique_ptr<model::Model> stories() {
  return model::Model::load(fixtures::dir() / "models" / "stories260K.gguf");
}

void expect_close(std::span<const float> a, std::span<const float> b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], kTol) << "index " << i;
}

TEST(ModelBatching, PromptInOneBatchEqualsTokenByToken) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto m = stories();
  const std::vector<int32_t> prompt{1, 317, 269, 274, 287, 263, 377, 267, 265, 282};
  ThreadPool pool(2);
  model::Context batched(*m, {.n_ctx = 64, .n_seq = 1, .n_batch = 16}, &pool);
  model::Context single(*m, {.n_ctx = 64, .n_seq = 1, .n_batch = 1}, nullptr);
  model::Batch all;
  for (size_t i = 0; i < prompt.size(); ++i) all.push_back({prompt[i], static_cast<int64_t>(i), 0, true});
  const auto out = batched.forward(all);
  const std::vector<float> together(out.begin(), out.end());
  const size_t V = static_cast<size_t>(m->hparams().n_vocab);
  for (size_t i = 0; i < prompt.size(); ++i) {
    auto one = single.forward({{prompt[i], static_cast<int64_t>(i), 0, true}});
    expect_close(one, std::span<const float>(together).subspan(i * V, V));
  }
}

TEST(ModelBatching, TwoSequencesTogetherEqualEachAlone) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto m = stories();
  const size_t V = static_cast<size_t>(m->hparams().n_vocab);
  const std::vector<std::vector<int32_t>> prompts{{1, 403, 407, 261, 378}, {1, 291, 376, 400, 428, 300, 301}};
  const int steps = 6;

  // Each alone: greedy tokens and their logits.
  std::vector<std::vector<int32_t>> alone_tokens(2);
  std::vector<std::vector<float>> alone_logits(2);
  for (int s = 0; s < 2; ++s) {
    model::Context ctx(*m, {.n_ctx = 64, .n_seq = 1, .n_batch = 16}, nullptr);
    model::Batch b;
    for (size_t i = 0; i < prompts[s].size(); ++i)
      b.push_back({prompts[s][i], static_cast<int64_t>(i), 0, i + 1 == prompts[s].size()});
    auto out = ctx.forward(b);
    for (int step = 0; step < steps; ++step) {
      alone_logits[s].insert(alone_logits[s].end(), out.begin(), out.end());
      const int32_t next = testing::argmax(out.data(), V);
      alone_tokens[s].push_back(next);
      out = ctx.forward({{next, static_cast<int64_t>(prompts[s].size() + step), 0, true}});
    }
  }

  // Together: both prompts in one batch (seq 1's entries first, to mix the order), then one entry
  // per sequence per pass.
  ThreadPool pool(2);
  model::Context ctx(*m, {.n_ctx = 64, .n_seq = 2, .n_batch = 16}, &pool);
  model::Batch b;
  for (int s : {1, 0})
    for (size_t i = 0; i < prompts[s].size(); ++i)
      b.push_back({prompts[s][i], static_cast<int64_t>(i), s, i + 1 == prompts[s].size()});
  auto out = ctx.forward(b);
  std::vector<float> rows(out.begin(), out.end());  // seq 1's row, then seq 0's
  for (int step = 0; step < steps; ++step) {
    expect_close(std::span<const float>(rows).subspan(V, V),
                 std::span<const float>(alone_logits[0]).subspan(step * V, V));
    expect_close(std::span<const float>(rows).subspan(0, V),
                 std::span<const float>(alone_logits[1]).subspan(step * V, V));
    model::Batch next;
    next.push_back({alone_tokens[1][step], static_cast<int64_t>(prompts[1].size() + step), 1, true});
    next.push_back({alone_tokens[0][step], static_cast<int64_t>(prompts[0].size() + step), 0, true});
    out = ctx.forward(next);
    rows.assign(out.begin(), out.end());
  }
}

// Decoding one token after a few hundred, with two threads and two KV heads, splits each head's
// keys across the threads (split-K) and merges them; the logits must equal those of the whole
// prompt in one pass on one thread (no split there).
TEST(ModelBatching, SplitKeyDecodeEqualsOnePass) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto m = model::Model::load(fixtures::dir() / "models" / "qwen2-gpt2-q8_0.gguf");
  const int64_t n = 300, n_decode = 10;
  std::vector<int32_t> tokens;
  for (int64_t i = 0; i < n; ++i) tokens.push_back(static_cast<int32_t>(1 + (i * 37) % 5000));
  model::Context whole(*m, {.n_ctx = 512, .n_seq = 1, .n_batch = 512}, nullptr);
  model::Batch all;
  for (int64_t i = 0; i < n; ++i) all.push_back({tokens[static_cast<size_t>(i)], i, 0, i >= n - n_decode});
  const auto out = whole.forward(all);
  const std::vector<float> expect(out.begin(), out.end());

  ThreadPool pool(2);
  model::Context split(*m, {.n_ctx = 512, .n_seq = 1, .n_batch = 512}, &pool);
  model::Batch prefix(all.begin(), all.end() - n_decode);
  for (auto& e : prefix) e.output = false;
  split.forward(prefix);
  const size_t V = static_cast<size_t>(m->hparams().n_vocab);
  for (int64_t i = n - n_decode; i < n; ++i) {
    const auto one = split.forward({{tokens[static_cast<size_t>(i)], i, 0, true}});
    expect_close(one, std::span<const float>(expect).subspan(static_cast<size_t>(i - (n - n_decode)) * V, V));
  }
}

}  // namespace
}  // namespace airlock
