// The byte-level BPE pre-tokenizer expressions, including those without a fixture vocab.
// Expected splits are worked out by hand from the published expressions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokenizer/pretokenizer.h"

using airlock::tokenizer::PreTokenizer;

namespace {

std::vector<std::string> split(const char* pre, std::string_view text) {
  PreTokenizer p(pre);
  std::vector<std::string_view> pieces;
  p.split(text, pieces);
  return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

TEST(PreTokenizer, Llama3) {
  EXPECT_EQ(split("llama-bpe", "Hello world123456 I'M ok!!\n\n  x"),
            (Pieces{"Hello", " world", "123", "456", " I", "'M", " ok", "!!\n\n", " ", " x"}));
  EXPECT_TRUE(PreTokenizer("llama-bpe").ignore_merges());
  EXPECT_FALSE(PreTokenizer("qwen2").ignore_merges());
}

TEST(PreTokenizer, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(split("qwen2", "ab 123"), (Pieces{"ab", " ", "1", "2", "3"}));
}

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(split("gpt-2", "I'm 12345 Ünïcode"), (Pieces{"I", "'m", " 12345", " Ünïcode"}));
  EXPECT_EQ(split("mpt", "a  b"), (Pieces{"a", " ", " b"}));
}

TEST(PreTokenizer, StarcoderSplitsDigitsFirst) {
  EXPECT_EQ(split("starcoder", "a 123"), (Pieces{"a", " ", "1", "2", "3"}));
  EXPECT_EQ(split("refact", "a 123"), split("starcoder", "a 123"));
}

TEST(PreTokenizer, DeepseekCoder) {
  // "=" is a math symbol, not punctuation, so it stays in the gap with its spaces.
  EXPECT_EQ(split("deepseek-coder", "x = 10;\n"), (Pieces{"x", " = ", "1", "0", ";", "\n"}));
}

TEST(PreTokenizer, DeepseekLlmAppliesExpressionsInTurn) {
  // Each expression splits the pieces of the previous one: the ASCII range ":-~" of the third
  // expression takes the "t" back out of " été", which the letter class had kept whole.
  EXPECT_EQ(split("deepseek-llm", " \xC3\xA9t\xC3\xA9 ab 12"),
            (Pieces{" \xC3\xA9", "t", "\xC3\xA9", " ab", " ", "12"}));
}

TEST(PreTokenizer, Falcon) {
  EXPECT_EQ(split("falcon", "a+b=3"), (Pieces{"a", "+", "b", "=", "3"}));
}

TEST(PreTokenizer, EveryKnownNameCompilesAndCoversTheText) {
  const std::string text = "Hello, wörld! 12345 ... \t\n 中文 🙂 it's  x ";
  for (const char* name : {"default",
                           "llama3",
                           "llama-v3",
                           "llama-bpe",
                           "falcon3",
                           "dbrx",
                           "smaug-bpe",
                           "qwen2",
                           "deepseek-r1-qwen",
                           "stablelm2",
                           "megrez",
                           "gpt-2",
                           "phi-2",
                           "mpt",
                           "olmo",
                           "jais",
                           "roberta-bpe",
                           "starcoder",
                           "refact",
                           "command-r",
                           "smollm",
                           "codeshell",
                           "exaone",
                           "minerva-7b",
                           "deepseek-llm",
                           "deepseek-coder",
                           "falcon",
                           "bloom",
                           "gpt3-finnish",
                           "poro-chat",
                           "some-future-name"}) {
    std::string joined;
    for (const auto& p : split(name, text)) {
      EXPECT_FALSE(p.empty()) << name;
      joined += p;
    }
    EXPECT_EQ(joined, text) << name;
  }
}

}  // namespace
