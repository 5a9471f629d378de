// Context shift: after dropping positions, the moved keys must be exactly what evaluating those
// tokens at their new positions gives (checked on layer 0, whose K/V depend only on the token and
// its position; both rope styles), and generation with a tiny context must go on past it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "airlock/airlock.h"
#include "model/context.h"
#include "model/model.h"
#include "support/fixtures.h"

namespace airlock {
namespace {

std::filesystem::path model_path(const std::string& name) { return fixtures::dir() / "models" / (name + ".gguf"); }

void feed(model::Context& ctx, const std::vector<int32_t>& tokens) {
  model::Batch b;
  for (size_t i = 0; i < tokens.size(); ++i) b.push_back({tokens[i], static_cast<int64_t>(i), 0, i + 1 == tokens.size()});
  ctx.forward(b);
}

void check_layer0_after_shift(const std::string& name) {
  auto m = model::Model::load(model_path(name));
  const model::ContextParams p{.n_ctx = 64, .n_seq = 1, .n_batch = 64, .kv_type = TensorType::F32};
  std::vector<int32_t> tokens;
  for (int32_t i = 0; i < 20; ++i) tokens.push_back(10 + 7 * i);
  const int64_t n_keep = 3, n_discard = 8;

  model::Context shifted(*m, p, nullptr);
  feed(shifted, tokens);
  shifted.shift(0, n_keep, n_discard);
  ASSERT_EQ(shifted.seq_len(0), 20 - n_discard);

  std::vector<int32_t> kept(tokens.begin(), tokens.begin() + n_keep);
  kept.insert(kept.end(), tokens.begin() + n_keep + n_discard, tokens.end());
  model::Context fresh(*m, p, nullptr);
  feed(fresh, kept);

  const auto& a = shifted.kv_cache();
  const auto& b = fresh.kv_cache();
  std::vector<float> ka(static_cast<size_t>(a.n_embd_k())), kb(ka.size());
  for (int64_t pos = 0; pos < static_cast<int64_t>(kept.size()); ++pos) {
    a.load_k(0, 0, pos, ka.data());
    b.load_k(0, 0, pos, kb.data());
    for (size_t i = 0; i < ka.size(); ++i) ASSERT_NEAR(ka[i], kb[i], 1e-4f * (1 + std::abs(kb[i]))) << name << " pos " << pos;
    ASSERT_EQ(0, std::memcmp(a.v_row(0, 0, pos), b.v_row(0, 0, pos), a.v_row_bytes())) << name << " pos " << pos;
  }
}

TEST(ContextShift, MovedKeysEqualKeysEvaluatedThere) {
  AIRLOCK_REQUIRE_FIXTURES();
  check_layer0_after_shift("stories260K");      // normal (interleaved) rope
  check_layer0_after_shift("qwen2-gpt2-q8_0");  // NeoX rope
}

TEST(ContextShift, RefusedWithoutRopeAndOutOfRange) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto bert = model::Model::load(model_path("bert-bge-f16"));
  model::Context enc(*bert, {.n_ctx = 16}, nullptr);
  EXPECT_THROW(enc.shift(0, 0, 1), Error);
  auto m = model::Model::load(model_path("stories260K"));
  model::Context ctx(*m, {.n_ctx = 16}, nullptr);
  feed(ctx, {1, 50, 60, 70});
  EXPECT_THROW(ctx.shift(0, 2, 3), Error);
  EXPECT_THROW(ctx.shift(1, 0, 1), Error);
}

GenerateOptions greedy(int64_t n) {
  GenerateOptions o;
  o.sampling.temperature = 0;
  o.sampling.repeat_penalty = 1.0f;
  o.num_predict = n;
  return o;
}

TEST(ContextShift, GenerationGoesOnInATinyContext) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto m = Model::load(model_path("stories260K"), {.n_ctx = 24, .n_threads = 1});
  auto s = m->new_session();
  const auto prompt = m->tokenize("Once upon a time");
  const auto plain = s->generate(prompt, greedy(100), nullptr);
  EXPECT_EQ(plain.done_reason, "length");
  EXPECT_EQ(plain.context_shifts, 0);
  // Prompt and output fill the context, as in the server (engine::context_full).
  EXPECT_EQ(static_cast<int64_t>(prompt.size() + plain.tokens.size()), 24);

  s->reset();
  GenerateOptions o = greedy(100);
  o.context_shift = true;
  o.n_keep = 1;  // the BOS
  const auto r = s->generate(prompt, o, nullptr);
  EXPECT_EQ(r.done_reason, "length");
  EXPECT_EQ(r.tokens.size(), 100u);
  EXPECT_GE(r.context_shifts, 4);
  EXPECT_LE(s->history().size(), 24u);
  EXPECT_EQ(s->history().front(), prompt.front());
  // Until the first shift, the text is the plain run's.
  EXPECT_TRUE(std::equal(plain.tokens.begin(), plain.tokens.end(), r.tokens.begin()));
}

}  // namespace
}  // namespace airlock
