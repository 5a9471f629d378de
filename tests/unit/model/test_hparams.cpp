// Hostile and inconsistent metadata/tensors must be refused with one clear airlock::Error naming
// the key or tensor, before anything is allocated from them.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "airlock/error.h"
#include "gguf_builder.h"
#include "model/context.h"
#include "model/model.h"

namespace airlock {
namespace {

using testing::GgufBuilder;

// A well-formed tiny llama: 8-dim embeddings, 2 heads / 1 kv head, one layer, 16 tokens.
GgufBuilder tiny_llama() {
  GgufBuilder b;
  b.str("general.architecture", "llama")
      .u32("llama.embedding_length", 8)
      .u32("llama.block_count", 1)
      .u32("llama.feed_forward_length", 12)
      .u32("llama.attention.head_count", 2)
      .u32("llama.attention.head_count_kv", 1)
      .u32("llama.context_length", 32)
      .u32("llama.vocab_size", 16)
      .f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  b.tensor("token_embd.weight", {8, 16})
      .tensor("output_norm.weight", {8})
      .tensor("blk.0.attn_norm.weight", {8})
      .tensor("blk.0.ffn_norm.weight", {8})
      .tensor("blk.0.attn_q.weight", {8, 8})
      .tensor("blk.0.attn_k.weight", {8, 4})
      .tensor("blk.0.attn_v.weight", {8, 4})
      .tensor("blk.0.attn_output.weight", {8, 8})
      .tensor("blk.0.ffn_gate.weight", {8, 12})
      .tensor("blk.0.ffn_up.weight", {8, 12})
      .tensor("blk.0.ffn_down.weight", {12, 8});
  return b;
}

std::unique_ptr<model::Model> load(const std::vector<uint8_t>& image) {
  return model::Model::from_file(gguf::File::parse(image.data(), image.size(), "tiny.gguf"));
}

// Expects load to throw an airlock::Error whose message contains `needle`.
void expect_refused(const GgufBuilder& b, const std::string& needle) {
  const auto image = b.build();
  try {
    load(image);
    ADD_FAILURE() << "loaded, expected an error mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "message is one line";
  }
}

TEST(ModelHparams, TinyModelLoadsRunsAndTiesOutput) {
  const auto image = tiny_llama().build();
  auto m = load(image);
  const auto& hp = m->hparams();
  EXPECT_EQ(hp.n_embd, 8);
  EXPECT_EQ(hp.head_dim_k, 4);
  EXPECT_EQ(hp.n_gqa(), 2);
  EXPECT_EQ(hp.n_rot, 4);
  // No output.weight: the output matrix is the token embedding.
  EXPECT_EQ(m->weights().output.data, m->weights().token_embd.data);
  model::Context ctx(*m, {.n_ctx = 8, .n_seq = 1, .n_batch = 4}, nullptr);
  EXPECT_EQ(ctx.n_ctx(), 8);
  auto out = ctx.forward({{1, 0, 0, false}, {2, 1, 0, true}});
  ASSERT_EQ(out.size(), 16u);
  for (float v : out) EXPECT_TRUE(std::isfinite(v));
}

TEST(ModelHparams, UnsupportedArchitectureNamed) {
  expect_refused(tiny_llama().str("general.architecture", "gptj"), "architecture 'gptj' is not supported");
}

TEST(ModelHparams, MissingKey) {
  expect_refused(tiny_llama().remove("llama.embedding_length"), "llama.embedding_length: missing");
}

TEST(ModelHparams, HeadCountMustDivideEmbedding) {
  expect_refused(tiny_llama().u32("llama.attention.head_count", 3), "does not divide embedding_length");
}

TEST(ModelHparams, KvHeadsMustDivideHeads) {
  expect_refused(tiny_llama().u32("llama.attention.head_count_kv", 3), "llama.attention.head_count_kv");
}

TEST(ModelHparams, HugeValuesRefusedBeforeAllocation) {
  expect_refused(tiny_llama().u32("llama.embedding_length", 0xFFFFFFFFu), "llama.embedding_length");
  expect_refused(tiny_llama().u32("llama.block_count", 1000000000u), "llama.block_count");
  expect_refused(tiny_llama().u32("llama.attention.head_count", 0), "llama.attention.head_count");
}

TEST(ModelHparams, WrongTypedValue) {
  expect_refused(tiny_llama().str("llama.block_count", "two"), "llama.block_count: expected an integer");
}

TEST(ModelHparams, OddRopeDimensions) {
  expect_refused(tiny_llama().u32("llama.rope.dimension_count", 3), "llama.rope.dimension_count");
}

TEST(ModelHparams, TensorShapeChecked) {
  expect_refused(tiny_llama().remove("blk.0.attn_k.weight").tensor("blk.0.attn_k.weight", {8, 8}),
                 "tensor blk.0.attn_k.weight: shape [8, 8], expected [8, 4]");
}

TEST(ModelHparams, MissingTensorNamed) {
  expect_refused(tiny_llama().remove("blk.0.ffn_down.weight"), "tensor blk.0.ffn_down.weight: missing");
}

TEST(ModelHparams, BlockCountBeyondTensorsNamesMissingLayer) {
  expect_refused(tiny_llama().u32("llama.block_count", 2), "blk.1.");
}

TEST(ModelHparams, Llama3RopeScalingFromMetadata) {
  // head_dim 4 -> two rope frequencies: 1 (wavelength 2pi, below 64/4: kept) and 1/sqrt(base).
  auto b = tiny_llama();
  b.str("llama.rope.scaling.type", "llama3")
      .f32("llama.rope.scaling.factor", 8)
      .f32("llama.rope.scaling.low_freq_factor", 1)
      .f32("llama.rope.scaling.high_freq_factor", 4)
      .u32("llama.rope.scaling.original_context_length", 64);
  for (float base : {100.0f, 10000.0f}) {
    b.f32("llama.rope.freq_base", base);
    const auto image = b.build();
    auto m = load(image);
    const auto& f = m->weights().rope_freq_factors;
    ASSERT_EQ(f.size(), 2u);
    EXPECT_FLOAT_EQ(f[0], 1.0f);
    const double freq = 1 / std::sqrt(static_cast<double>(base)), wavelen = 2 * M_PI / freq;
    if (wavelen > 64) {
      EXPECT_FLOAT_EQ(f[1], 8.0f);  // long wavelength: fully scaled
    } else {  // between 64/4 and 64: blend of scaled and unscaled frequency
      const double s = (64 / wavelen - 1) / (4 - 1);
      const double scaled = (1 - s) * freq / 8 + s * freq;
      EXPECT_NEAR(f[1], freq / scaled, 1e-5);
    }
  }
  expect_refused(tiny_llama().str("llama.rope.scaling.type", "yarn"), "not supported");
  expect_refused(tiny_llama().str("llama.rope.scaling.type", "warp"), "unknown value 'warp'");
}

TEST(ModelHparams, LongRopeRefused) {
  expect_refused(tiny_llama().tensor("rope_factors_long.weight", {2}), "LongRoPE scaling is not supported");
}

TEST(ModelContext, BadBatchEntriesRefused) {
  const auto image = tiny_llama().build();
  auto m = load(image);
  model::Context ctx(*m, {.n_ctx = 4, .n_seq = 1, .n_batch = 4}, nullptr);
  EXPECT_THROW(ctx.forward({{16, 0, 0, true}}), Error);   // token outside vocabulary
  EXPECT_THROW(ctx.forward({{1, 0, 1, true}}), Error);    // no such sequence
  EXPECT_THROW(ctx.forward({{1, 2, 0, true}}), Error);    // gap: sequence is empty
  EXPECT_THROW(ctx.forward({}), Error);
  ctx.forward({{1, 0, 0, false}, {2, 1, 0, false}, {3, 2, 0, false}, {4, 3, 0, true}});
  EXPECT_EQ(ctx.seq_len(0), 4);
  try {
    ctx.forward({{5, 4, 0, true}});
    ADD_FAILURE() << "expected context full";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("context full"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ctx.seq_len(0), 4);  // the failed call changed nothing
}

}  // namespace
}  // namespace airlock
