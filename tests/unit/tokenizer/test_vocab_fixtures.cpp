// Every test vector of ../shared/fixtures/vocab/*.gguf.inp/.out (produced by the reference
// tokenizer) must be reproduced exactly: add_special = false, parse_special = false.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "gguf/gguf.h"
#include "support/fixtures.h"
#include "tokenizer/tokenizer.h"

using namespace airlock;

namespace {

std::vector<std::string> split_cases(const std::string& inp) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> cases;
  size_t start = 0;
  for (size_t at; (at = inp.find(sep, start)) != std::string::npos; start = at + sep.size())
    cases.push_back(inp.substr(start, at - start));
  if (start < inp.size()) cases.push_back(inp.substr(start));
  return cases;
}

std::vector<std::vector<int32_t>> read_expected(const std::string& out) {
  std::vector<std::vector<int32_t>> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::vector<int32_t> ids;
    for (int32_t id; ls >> id;) ids.push_back(id);
    lines.push_back(ids);
  }
  return lines;
}

class VocabFixture : public testing::TestWithParam<const char*> {};

TEST_P(VocabFixture, MatchesReferenceTokenization) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto path = fixtures::dir() / "vocab" / (std::string("ggml-vocab-") + GetParam() + ".gguf");
  auto file = gguf::File::open(path);
  auto tok = tokenizer::Tokenizer::from_gguf(*file);
  const auto cases = split_cases(fixtures::read_file(path.string() + ".inp"));
  const auto expected = read_expected(fixtures::read_file(path.string() + ".out"));
  ASSERT_EQ(cases.size(), expected.size());
  ASSERT_GT(cases.size(), 0u);
  size_t ok = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto got = tok->encode(cases[i], false, false);
    EXPECT_EQ(got, expected[i]) << "case " << i << ": '" << cases[i] << "'";
    ok += got == expected[i];
  }
  std::cout << "[ vocab " << GetParam() << " ] " << ok << "/" << cases.size() << " cases match\n";
}

INSTANTIATE_TEST_SUITE_P(AllVocabs, VocabFixture,
                         testing::Values("llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2",
                                         "deepseek-llm", "mpt", "starcoder", "bert-bge"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
