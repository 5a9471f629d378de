// The fixture models' reference tokens: each prompt of NAME.ref.json tokenised from the model
// GGUF with add_special = true, parse_special = false, and the reference's greedy
// continuation decoded back to its recorded text.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gguf/gguf.h"
#include "support/fixtures.h"
#include "tokenizer/tokenizer.h"

using namespace airlock;

namespace {

class ModelPrompts : public testing::TestWithParam<const char*> {};
class ModelGreedy : public testing::TestWithParam<const char*> {};

std::string param_name(const testing::TestParamInfo<const char*>& info) {
  std::string n = info.param;
  for (char& ch : n)
    if (ch == '-') ch = '_';
  return n;
}

TEST_P(ModelPrompts, TokensMatchReference) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto dir = fixtures::dir() / "models";
  auto file = gguf::File::open(dir / (std::string(GetParam()) + ".gguf"));
  auto tok = tokenizer::Tokenizer::from_gguf(*file);
  const auto ref = nlohmann::json::parse(fixtures::read_file(dir / (std::string(GetParam()) + ".ref.json")));
  ASSERT_FALSE(ref["cases"].empty());
  for (const auto& c : ref["cases"]) {
    const std::string prompt = c["prompt"];
    EXPECT_EQ(tok->encode(prompt, true, false), c["tokens"].get<std::vector<int32_t>>())
        << "prompt: " << prompt;
  }
}

TEST_P(ModelGreedy, ContinuationStreamsToReferenceText) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto dir = fixtures::dir() / "models";
  const auto ref = nlohmann::json::parse(fixtures::read_file(dir / (std::string(GetParam()) + ".ref.json")));
  auto file = gguf::File::open(dir / (std::string(GetParam()) + ".gguf"));
  auto tok = tokenizer::Tokenizer::from_gguf(*file);
  for (const auto& c : ref["cases"]) {
    const auto ids = c["greedy"].get<std::vector<int32_t>>();
    const std::string expected = c["greedy_text"];
    // The reference text is the continuation's bytes with invalid UTF-8 replaced by U+FFFD.
    tokenizer::StreamDecoder stream(*tok);
    std::string streamed;
    for (int32_t id : ids) streamed += stream.push(id);
    streamed += stream.flush();
    EXPECT_EQ(streamed, expected) << "prompt: " << c["prompt"];
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelPrompts,
                         testing::Values("stories260K", "llama-spm-q8_0", "llama-spm-q4_k_m",
                                         "qwen2-gpt2-q8_0", "qwen2-gpt2-q4_k_m", "bert-bge-f16"),
                         param_name);
INSTANTIATE_TEST_SUITE_P(Models, ModelGreedy,
                         testing::Values("stories260K", "llama-spm-q8_0", "llama-spm-q4_0",
                                         "llama-spm-q4_k_m", "llama-spm-q5_k_m", "llama-spm-q2_k",
                                         "qwen2-gpt2-q8_0", "qwen2-gpt2-q4_k_m"),
                         param_name);

}  // namespace
