// The per-architecture rules that turn metadata into effective hyper-parameters (issue #19): size-
// specific constants, defaults for keys early conversions lack, which optional keys an
// architecture reads at all, and the keys that are refused. Metadata-only files: read_hparams
// never looks at tensors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "gguf_builder.h"
#include "model/hparams.h"
#include "support/error_of.h"

namespace airlock::model {
namespace {

using testing::GgufBuilder;

// A decoder whose n_embd / n_head (64 / 4 = 16) differs from its head size (32), as in the
// Gemma 27B models.
GgufBuilder decoder(const std::string& arch, uint32_t layers) {
  GgufBuilder b;
  b.str("general.architecture", arch)
      .u32(arch + ".embedding_length", 64)
      .u32(arch + ".block_count", layers)
      .u32(arch + ".feed_forward_length", 128)
      .u32(arch + ".attention.head_count", 4)
      .u32(arch + ".attention.head_count_kv", 2)
      .u32(arch + ".attention.key_length", 32)
      .u32(arch + ".attention.value_length", 32)
      .u32(arch + ".context_length", 8192)
      .u32(arch + ".vocab_size", 100)
      .f32(arch + ".attention.layer_norm_rms_epsilon", 1e-6f);
  return b;
}

Hparams read(const GgufBuilder& b) {
  const auto image = b.build();
  return read_hparams(*gguf::File::parse(image.data(), image.size(), "rules.gguf"));
}

std::string refusal(const GgufBuilder& b) {
  return testing::error_of([&] { read(b); });
}

TEST(ArchRules, GemmaQueryScaleDependsOnModelSize) {
  const float by_head = 1 / std::sqrt(32.0f), by_embd = 1 / std::sqrt(16.0f);
  for (uint32_t layers : {26u, 42u}) EXPECT_FLOAT_EQ(read(decoder("gemma2", layers)).attn_scale, by_head) << layers;
  EXPECT_FLOAT_EQ(read(decoder("gemma2", 46)).attn_scale, by_embd);
  for (uint32_t layers : {26u, 34u, 48u}) EXPECT_FLOAT_EQ(read(decoder("gemma3", layers)).attn_scale, by_head) << layers;
  EXPECT_FLOAT_EQ(read(decoder("gemma3", 62)).attn_scale, by_embd);
  // The size rule is Gemma's: other architectures with 46 or 62 layers keep 1/sqrt(head size).
  EXPECT_FLOAT_EQ(read(decoder("qwen3", 46)).attn_scale, by_head);
  EXPECT_FLOAT_EQ(read(decoder("qwen3", 62)).attn_scale, by_head);
  // An explicit attention.scale wins over every rule.
  const Hparams h = read(decoder("gemma2", 46).f32("gemma2.attention.scale", 0.125f));
  EXPECT_FLOAT_EQ(h.attn_scale, 0.125f);
  EXPECT_EQ(h.attn_scale_rule, "gemma2.attention.scale");
}

TEST(ArchRules, Gemma2WindowDefaultsTo4096OnAlternateLayers) {
  const Hparams h = read(decoder("gemma2", 4));
  EXPECT_EQ(h.sliding_window, 4096);
  EXPECT_TRUE(h.is_swa_layer(0));
  EXPECT_FALSE(h.is_swa_layer(1));
  EXPECT_TRUE(h.is_swa_layer(2));
  EXPECT_EQ(read(decoder("gemma2", 4).u32("gemma2.attention.sliding_window", 512)).sliding_window, 512);
  EXPECT_EQ(read(decoder("gemma2", 4).u32("gemma2.attention.sliding_window_pattern", 2)).sliding_window, 4096);
  EXPECT_NE(refusal(decoder("gemma2", 4).u32("gemma2.attention.sliding_window_pattern", 3))
                .find("gemma2.attention.sliding_window_pattern: value 3 differs from gemma2's 2"),
            std::string::npos);
}

TEST(ArchRules, Gemma3WindowOnlyWithTheKey) {
  EXPECT_EQ(read(decoder("gemma3", 12)).sliding_window, 0);
  const Hparams h = read(decoder("gemma3", 12)
                             .u32("gemma3.attention.sliding_window", 1024)
                             .f32("gemma3.rope.freq_base", 1e6f)
                             .str("gemma3.rope.scaling.type", "linear")
                             .f32("gemma3.rope.scaling.factor", 8));
  for (int il = 0; il < 12; ++il) EXPECT_EQ(h.is_swa_layer(il), il % 6 != 5) << il;
  // Local layers: their own base, unscaled; global layers: the file's base and scaling.
  EXPECT_FLOAT_EQ(h.rope_base_of(0), 10000);
  EXPECT_FLOAT_EQ(h.rope_scale_of(0), 1);
  EXPECT_FLOAT_EQ(h.rope_base_of(5), 1e6f);
  EXPECT_FLOAT_EQ(h.rope_scale_of(5), 8);
}

TEST(ArchRules, Phi3WindowsEveryLayerWithTheGlobalRope) {
  EXPECT_EQ(read(decoder("phi3", 3)).sliding_window, 0);
  const Hparams h = read(decoder("phi3", 3)
                             .u32("phi3.attention.sliding_window", 2047)
                             .f32("phi3.rope.freq_base", 500000)
                             .f32("phi3.rope.scaling.factor", 2));
  EXPECT_EQ(h.sliding_window, 2047);
  for (int il = 0; il < 3; ++il) {
    EXPECT_TRUE(h.is_swa_layer(il)) << il;
    EXPECT_FLOAT_EQ(h.rope_base_of(il), 500000);
    EXPECT_FLOAT_EQ(h.rope_scale_of(il), 2);
  }
}

TEST(ArchRules, WindowKeyIgnoredWhereTheArchitectureHasNone) {
  const Hparams h = read(decoder("qwen2", 2).u32("qwen2.attention.sliding_window", 16));
  EXPECT_EQ(h.sliding_window, 0);
  EXPECT_FALSE(h.is_swa_layer(0));
}

TEST(ArchRules, SoftCapsPerArchitecture) {
  const Hparams g2 = read(decoder("gemma2", 2));
  EXPECT_FLOAT_EQ(g2.attn_softcap, 50);
  EXPECT_FLOAT_EQ(g2.final_softcap, 30);
  const Hparams g2_keys =
      read(decoder("gemma2", 2).f32("gemma2.attn_logit_softcapping", 20).f32("gemma2.final_logit_softcapping", 0));
  EXPECT_FLOAT_EQ(g2_keys.attn_softcap, 20);
  EXPECT_FLOAT_EQ(g2_keys.final_softcap, 0);
  // Gemma 3 has no attention soft-cap; its final one is off unless the file sets it.
  const Hparams g3 =
      read(decoder("gemma3", 2).f32("gemma3.attn_logit_softcapping", 50).f32("gemma3.final_logit_softcapping", 30));
  EXPECT_FLOAT_EQ(g3.attn_softcap, 0);
  EXPECT_FLOAT_EQ(g3.final_softcap, 30);
  EXPECT_FLOAT_EQ(read(decoder("gemma3", 2)).final_softcap, 0);
  const Hparams llama =
      read(decoder("llama", 2).u32("llama.rope.dimension_count", 32).f32("llama.final_logit_softcapping", 30));
  EXPECT_FLOAT_EQ(llama.final_softcap, 0);
}

TEST(ArchRules, RopeScalingTypeDefaultsToLinear) {
  const Hparams bare = read(decoder("qwen2", 2).f32("qwen2.rope.scaling.factor", 4));
  EXPECT_EQ(bare.rope_scaling, RopeScaling::Linear);
  EXPECT_FLOAT_EQ(bare.rope_scale, 4);
  const Hparams old_key = read(decoder("qwen2", 2).f32("qwen2.rope.scale_linear", 2));
  EXPECT_EQ(old_key.rope_scaling, RopeScaling::Linear);
  EXPECT_FLOAT_EQ(old_key.rope_scale, 2);
  // "none" turns every factor off, the old key's included.
  const Hparams none = read(decoder("qwen2", 2)
                                .str("qwen2.rope.scaling.type", "none")
                                .f32("qwen2.rope.scaling.factor", 4)
                                .f32("qwen2.rope.scale_linear", 2));
  EXPECT_EQ(none.rope_scaling, RopeScaling::None);
  EXPECT_FLOAT_EQ(none.rope_scale, 1);
  EXPECT_NE(refusal(decoder("phi3", 2).str("phi3.rope.scaling.type", "longrope")).find("phi3.rope.scaling.type"),
            std::string::npos);
}

TEST(ArchRules, LlamaRopeCoversTheWholeHead) {
  EXPECT_EQ(read(decoder("llama", 2)).n_rot, 32);
  EXPECT_NE(refusal(decoder("llama", 2).u32("llama.rope.dimension_count", 16))
                .find("llama.rope.dimension_count: 16 must equal the head size 32"),
            std::string::npos);
  EXPECT_EQ(read(decoder("phi3", 2).u32("phi3.rope.dimension_count", 16)).n_rot, 16);  // partial rope is Phi-3's
}

TEST(ArchRules, NormEpsilonRequired) {
  EXPECT_NE(refusal(decoder("qwen3", 2).remove("qwen3.attention.layer_norm_rms_epsilon"))
                .find("qwen3.attention.layer_norm_rms_epsilon: missing"),
            std::string::npos);
  GgufBuilder bert;
  bert.str("general.architecture", "bert")
      .u32("bert.embedding_length", 64)
      .u32("bert.block_count", 2)
      .u32("bert.feed_forward_length", 128)
      .u32("bert.attention.head_count", 4)
      .u32("bert.context_length", 512)
      .u32("bert.vocab_size", 100);
  EXPECT_NE(refusal(bert).find("bert.attention.layer_norm_epsilon: missing"), std::string::npos);
  EXPECT_FLOAT_EQ(read(bert.f32("bert.attention.layer_norm_epsilon", 1e-12f)).norm_eps, 1e-12f);
}

}  // namespace
}  // namespace airlock::model
