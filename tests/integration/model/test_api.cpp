// The public API end to end on the fixture models: text in, the reference text and vectors out.
#include <airlock/airlock.h>
#include <gtest/gtest.h>

#include <thread>

#include "reference.h"
#include "support/fixtures.h"

namespace airlock {
namespace {

std::filesystem::path model_path(const std::string& name) { return fixtures::dir() / "models" / (name + ".gguf"); }

GenerateOptions greedy(int64_t n) {
  GenerateOptions o;
  o.sampling.temperature = 0;
  o.sampling.repeat_penalty = 1.0f;
  o.num_predict = n;
  return o;
}

TEST(Api, Stories260KInfoTokensAndGreedyText) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto ref = testing::load_reference("stories260K");
  auto m = Model::load(model_path("stories260K"), {.n_ctx = 256, .n_threads = 1});
  const ModelInfo& info = m->info();
  EXPECT_EQ(info.arch, "llama");
  EXPECT_EQ(info.n_vocab, 512);
  EXPECT_EQ(info.n_ctx_train, 2048);
  EXPECT_EQ(info.n_ctx, 256);
  EXPECT_EQ(info.n_embd, 64);
  EXPECT_EQ(info.bos, 1);
  EXPECT_EQ(info.eos, 2);
  EXPECT_FALSE(info.is_embedding);
  // K and V, 5 layers, 256 positions, 4 kv heads x 8 dims, f16 by default.
  EXPECT_EQ(info.kv_cache_bytes, 2u * 5 * 256 * 32 * 2);
  for (const auto& c : ref.cases) {
    EXPECT_EQ(m->tokenize(c.prompt), c.tokens);
    auto s = m->new_session();
    std::string streamed;
    const auto r = s->generate(c.prompt, greedy(static_cast<int64_t>(c.greedy.size())),
                               [&](std::string_view p) { streamed += p; return true; });
    EXPECT_EQ(r.text, c.greedy_text);
    EXPECT_EQ(streamed, c.greedy_text);
    EXPECT_EQ(r.tokens, c.greedy);
    EXPECT_EQ(r.done_reason, "length");
    EXPECT_EQ(r.prompt_tokens, static_cast<int64_t>(c.tokens.size()));
    EXPECT_EQ(r.generated_tokens, static_cast<int64_t>(c.greedy.size()));
  }
}

TEST(Api, SessionsOnOneModelRunConcurrently) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto ref = testing::load_reference("stories260K");
  auto m = Model::load(model_path("stories260K"), {.n_ctx = 128, .n_threads = 1});
  std::vector<GenerateResult> results(ref.cases.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ref.cases.size(); ++i)
    threads.emplace_back([&, i] { results[i] = m->new_session()->generate(ref.cases[i].tokens, greedy(32), nullptr); });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < ref.cases.size(); ++i)
    EXPECT_EQ(results[i].tokens, std::vector<int32_t>(ref.cases[i].greedy.begin(), ref.cases[i].greedy.begin() + 32));
}

TEST(Api, EvaluateGivesEveryPositionsLogits) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto ref = testing::load_reference("llama-spm-q8_0");
  auto m = Model::load(model_path("llama-spm-q8_0"), {.n_ctx = 512, .n_threads = 1});
  const auto& c = ref.cases[1];
  const auto logits = m->new_session()->evaluate(c.tokens);
  const auto V = static_cast<size_t>(ref.n_vocab);
  ASSERT_EQ(logits.size(), c.tokens.size() * V);
  EXPECT_GE(testing::cosine(logits.data() + logits.size() - V, c.last_logits.data(), V), 0.999);
}

TEST(Api, EmbeddingModel) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto ref = testing::load_reference("bert-bge-f16");
  auto m = Model::load(model_path("bert-bge-f16"), {.n_threads = 1});
  EXPECT_TRUE(m->info().is_embedding);
  EXPECT_EQ(m->info().n_ctx, 512);  // capped at the model's own context
  for (const auto& c : ref.cases) {
    const auto v = m->embed(c.prompt, false);
    EXPECT_GE(testing::cosine(v.data(), c.embedding.data(), v.size()), 0.9995);
  }
  EXPECT_THROW(m->new_session(), Error);
}

// The other KV cache types: their size, and the reference's greedy text still comes out.
TEST(Api, KvCacheTypes) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto ref = testing::load_reference("stories260K");
  for (const auto& [type, bytes] : {std::pair<std::string, uint64_t>{"f32", 2u * 5 * 256 * 32 * 4},
                                    std::pair<std::string, uint64_t>{"q8_0", 2u * 5 * 256 * 34}}) {
    auto m = Model::load(model_path("stories260K"), {.n_ctx = 256, .n_threads = 1, .kv_type = type});
    EXPECT_EQ(m->info().kv_cache_bytes, bytes) << type;
    const auto& c = ref.cases.front();
    EXPECT_EQ(m->new_session()->generate(c.prompt, greedy(static_cast<int64_t>(c.greedy.size())), nullptr).text,
              c.greedy_text)
        << type;
  }
  EXPECT_THROW(Model::load(model_path("stories260K"), {.kv_type = "q9_9"}), Error);
}

TEST(Api, LoadErrorsAreAirlockErrors) {
  EXPECT_THROW(Model::load("/nonexistent/model.gguf"), Error);
  AIRLOCK_REQUIRE_FIXTURES();
  EXPECT_THROW(Model::load(model_path("stories260K"), {.n_ctx = 0}), Error);
  EXPECT_THROW(Model::load(fixtures::dir() / "vocab" / "ggml-vocab-llama-spm.gguf"), Error);  // no tensors
}

}  // namespace
}  // namespace airlock
