// Runs the airlock binary's tokenize/detokenize commands on fixture models.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "support/cli_runner.h"
#include "support/fixtures.h"

namespace {

using airlock::cli_runner::quote;
using airlock::cli_runner::Result;

Result run(const std::string& args) { return airlock::cli_runner::run(std::string(AIRLOCK_BINARY) + " " + args, true); }

std::string model(const char* name) {
  return quote((airlock::fixtures::dir() / "models" / name).string());
}

TEST(CliTokenize, PrintsReferenceIds) {
  AIRLOCK_REQUIRE_FIXTURES();
  // Expected ids from llama-spm-q8_0.ref.json ("Hello world", with BOS).
  auto r = run("tokenize " + model("llama-spm-q8_0.gguf") + " 'Hello world'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "1 15043 3186\n");
  r = run("tokenize --json " + model("llama-spm-q8_0.gguf") + " 'Hello world'");
  EXPECT_EQ(r.out, "[1, 15043, 3186]\n");
  r = run("tokenize --verbose " + model("qwen2-gpt2-q8_0.gguf") + " 'Hello world'");
  EXPECT_EQ(r.out, "15496\tHello\n995\t world\n");  // ids from qwen2-gpt2-q8_0.ref.json
}

TEST(CliTokenize, ReadsStandardInput) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto r = run("tokenize " + model("bert-bge-f16.gguf") + " < /dev/null");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "101 102\n");  // empty text: [CLS] [SEP]
}

TEST(CliTokenize, DetokenizeRoundTrip) {
  AIRLOCK_REQUIRE_FIXTURES();
  // SentencePiece: the space the tokenizer prefixed is dropped from the first token...
  auto r = run("detokenize " + model("llama-spm-q8_0.gguf") + " 15043 3186");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "Hello world\n");
  // ...but, as in the reference, not when a BOS was removed in front of it.
  r = run("detokenize --remove-special " + model("llama-spm-q8_0.gguf") + " 1 15043 3186");
  EXPECT_EQ(r.out, " Hello world\n");
  r = run("detokenize --json " + model("qwen2-gpt2-q8_0.gguf") + " '[15496, 995]'");
  EXPECT_EQ(r.out, "\"Hello world\"\n");
}

TEST(CliTokenize, BadInputFailsCleanly) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto r = run("detokenize " + model("llama-spm-q8_0.gguf") + " 32000");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("error: token id 32000 is outside the vocabulary"), std::string::npos)
      << r.out;
  r = run("detokenize " + model("llama-spm-q8_0.gguf") + " 12x");
  EXPECT_EQ(r.status, 1);
  r = run("tokenize /nonexistent/model.gguf hi");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("/nonexistent/model.gguf"), std::string::npos) << r.out;
}

}  // namespace
