// Encoder embeddings against llama.cpp's mean-pooled vectors for the bert-bge fixture.
#include <gtest/gtest.h>

#include <cstdio>

#include "model/context.h"
#include "model/embed.h"
#include "model/model.h"
#include "reference.h"
#include "support/fixtures.h"
#include "tokenizer/tokenizer.h"

namespace airlock {
namespace {

TEST(ReferenceEmbedding, BertBgeMeanPooled) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto ref = testing::load_reference("bert-bge-f16");
  auto m = model::Model::load(ref.model_file);
  EXPECT_EQ(m->hparams().pooling, model::Pooling::Mean);
  model::Context ctx(*m, {.n_ctx = 512, .n_seq = 1, .n_batch = 512}, nullptr);
  const auto tok = tokenizer::Tokenizer::from_gguf(m->file());
  double worst = 1;
  for (const auto& c : ref.cases) {
    SCOPED_TRACE(c.prompt);
    EXPECT_EQ(tok->encode(c.prompt, true, false), c.tokens);
    const auto v = model::embed_tokens(ctx, c.tokens, false);
    ASSERT_EQ(v.size(), c.embedding.size());
    const double cos = testing::cosine(v.data(), c.embedding.data(), v.size());
    EXPECT_GE(cos, 0.9995);
    worst = std::min(worst, cos);
    // Normalised: same direction, unit length.
    auto n = model::embed_tokens(ctx, c.tokens, true);
    double len = 0;
    for (float x : n) len += static_cast<double>(x) * x;
    EXPECT_NEAR(len, 1.0, 1e-5);
    EXPECT_NEAR(testing::cosine(n.data(), v.data(), v.size()), 1.0, 1e-6);
  }
  std::printf("[ measure ] bert-bge-f16: worst embedding cosine %.6f\n", worst);
}

}  // namespace
}  // namespace airlock
