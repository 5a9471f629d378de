// The generation loop on a real model (stories260K): greedy output equals the reference, and every
// way a generation can end reports the right reason.
#include <gtest/gtest.h>

#include <string>

#include "airlock/error.h"
#include "engine/session.h"
#include "model/model.h"
#include "reference.h"
#include "support/fixtures.h"

namespace airlock {
namespace {

constexpr int32_t kEos = 2;  // stories260K's end-of-sequence token

// Token text as "<id>" so that tests can predict the streamed text from ids alone.
engine::TokenText id_text() {
  return {.is_end = [](int32_t t) { return t == kEos; },
          .piece = [](int32_t t) { return "<" + std::to_string(t) + ">"; },
          .finish = [] { return std::string(); }};
}

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t t : ids) s += "<" + std::to_string(t) + ">";
  return s;
}

engine::GenerateParams greedy(int64_t n) {
  engine::GenerateParams p;
  p.sampling.temperature = 0;
  p.sampling.repeat_penalty = 1.0f;
  p.num_predict = n;
  return p;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AIRLOCK_REQUIRE_FIXTURES();
    ref_ = testing::load_reference("stories260K");
    model_ = model::Model::load(ref_.model_file);
  }
  engine::Session session(int64_t n_ctx = 256, int64_t n_batch = 512) {
    return engine::Session(*model_, {.n_ctx = n_ctx, .n_seq = 1, .n_batch = n_batch}, 1);
  }
  testing::Reference ref_;
  std::unique_ptr<model::Model> model_;
};

TEST_F(SessionTest, GreedyMatchesReferenceAndStreamsEveryToken) {
  for (const auto& c : ref_.cases) {
    auto s = session(256, 4);  // small batches: the prompt is fed in chunks
    std::string streamed;
    const auto g = s.generate(c.tokens, greedy(static_cast<int64_t>(c.greedy.size())), id_text(),
                              [&](std::string_view p) { streamed += p; return true; });
    EXPECT_EQ(g.tokens, c.greedy);
    EXPECT_EQ(g.done, engine::DoneReason::Length);
    EXPECT_EQ(streamed, ids_text(c.greedy));
    EXPECT_EQ(g.text, streamed);
    EXPECT_EQ(g.prompt_tokens, static_cast<int64_t>(c.tokens.size()));
    EXPECT_GT(g.total_ns, 0);
  }
}

TEST_F(SessionTest, ReusesCachedPrefix) {
  const auto& c = ref_.cases[0];
  auto s = session();
  const auto first = s.generate(c.tokens, greedy(8), id_text(), nullptr);
  // Continue the conversation: prompt = old prompt + the generated tokens + more.
  std::vector<int32_t> longer = c.tokens;
  longer.insert(longer.end(), first.tokens.begin(), first.tokens.end());
  longer.push_back(c.tokens.back());
  const auto second = s.generate(longer, greedy(4), id_text(), nullptr);
  // Only the last generated token (never evaluated: nothing needed its logits) and the new one
  // are fed.
  EXPECT_EQ(second.prompt_tokens, 2);
  auto fresh = session();
  const auto expect = fresh.generate(longer, greedy(4), id_text(), nullptr);
  EXPECT_EQ(expect.prompt_tokens, static_cast<int64_t>(longer.size()));
  EXPECT_EQ(second.tokens, expect.tokens);
}

TEST_F(SessionTest, NumPredictZeroGeneratesNothing) {
  auto s = session();
  const auto g = s.generate(ref_.cases[0].tokens, greedy(0), id_text(), nullptr);
  EXPECT_EQ(g.done, engine::DoneReason::Length);
  EXPECT_TRUE(g.tokens.empty());
  EXPECT_TRUE(g.text.empty());
}

TEST_F(SessionTest, CancelStopsAtOnce) {
  auto s = session();
  int calls = 0;
  const auto g = s.generate(ref_.cases[0].tokens, greedy(20), id_text(), [&](std::string_view) { return ++calls < 3; });
  EXPECT_EQ(g.done, engine::DoneReason::Cancel);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(g.tokens.size(), 3u);
}

TEST_F(SessionTest, StopStringEndsWithoutEmittingIt) {
  const auto& c = ref_.cases[0];
  auto p = greedy(20);
  p.stop = {"<" + std::to_string(c.greedy[3]) + "><" + std::to_string(c.greedy[4]) + ">"};
  auto s = session();
  const auto g = s.generate(c.tokens, p, id_text(), nullptr);
  EXPECT_EQ(g.done, engine::DoneReason::Stop);
  EXPECT_EQ(g.text, ids_text({c.greedy.begin(), c.greedy.begin() + 3}));
}

TEST_F(SessionTest, EndTokenStops) {
  const auto& c = ref_.cases[0];
  auto text = id_text();
  const int32_t end = c.greedy[5];
  text.is_end = [end](int32_t t) { return t == end; };
  auto s = session();
  const auto g = s.generate(c.tokens, greedy(-1), text, nullptr);
  EXPECT_EQ(g.done, engine::DoneReason::Stop);
  EXPECT_EQ(g.tokens, std::vector<int32_t>(c.greedy.begin(), c.greedy.begin() + 5));
}

TEST_F(SessionTest, FullContextEndsWithLengthAndLongPromptIsRefused) {
  const auto& c = ref_.cases[0];
  auto s = session(static_cast<int64_t>(c.tokens.size()) + 3);
  const auto g = s.generate(c.tokens, greedy(-1), id_text(), nullptr);
  EXPECT_EQ(g.done, engine::DoneReason::Length);
  // Prompt and output together fill the context (the server's rule too); the last output token is
  // sampled from the last logits and not evaluated.
  EXPECT_EQ(g.tokens.size(), 3u);
  EXPECT_EQ(s.history().size(), c.tokens.size() + 2);
  auto tiny = session(3);
  EXPECT_THROW(tiny.generate(c.tokens, greedy(1), id_text(), nullptr), Error);
}

}  // namespace
}  // namespace airlock
