// Token masking: the trie walk must allow exactly the tokens that a brute-force check (every
// token's bytes fed through a fresh copy of the Matcher) allows, on hand-made vocabularies with
// awkward pieces and on the real Llama 3 and Llama 2 vocabularies; and the budget logic must
// always end with a complete output.
#include <gtest/gtest.h>

#include <random>

#include "airlock/error.h"
#include "grammar/constraint.h"
#include "grammar/json_schema.h"
#include "grammar/matcher.h"
#include "support/fixtures.h"
#include "vocab_pieces.h"

namespace airlock::grammar {
namespace {

std::vector<int32_t> brute_force(const std::shared_ptr<const Grammar>& g, const TokenTrie& trie, const std::string& text) {
  Matcher base(g);
  EXPECT_TRUE(base.accept(text));
  std::vector<int32_t> out;
  for (size_t id = 0; id < trie.vocab_size(); ++id) {
    auto t = static_cast<int32_t>(id);
    if (trie.is_end(t)) {
      if (base.is_complete()) out.push_back(t);
      continue;
    }
    if (!trie.is_text(t)) continue;
    Matcher m = base;
    if (m.accept(trie.piece(t))) out.push_back(t);
  }
  return out;
}

// Follows random allowed tokens, comparing the mask with brute force at every step.
void compare_along_random_walk(const std::shared_ptr<const Grammar>& g, const std::shared_ptr<const TokenTrie>& trie,
                               uint32_t seed, int steps) {
  std::mt19937 rng(seed);
  GrammarConstraint c(g, trie);
  std::string text;
  for (int step = 0; step < steps && !c.done(); ++step) {
    std::vector<int32_t> allowed = c.allowed();
    ASSERT_EQ(allowed, brute_force(g, *trie, text)) << "after " << text;
    ASSERT_FALSE(allowed.empty()) << "stuck after " << text;
    int32_t t = allowed[std::uniform_int_distribution<size_t>(0, allowed.size() - 1)(rng)];
    if (trie->is_end(t)) break;
    c.accept(t);
    text += trie->piece(t);
  }
}

TEST(Masking, SmallVocabularyWithAwkwardPieces) {
  // Pieces that split UTF-8 characters, duplicates, an empty piece, a control token and EOS.
  std::vector<std::string> pieces = {"<eos>", "<ctl>", "", "{", "}", "\"", "\"a", "a", "ab", "ab", "abc",
                                     "\xc3", "\xa9", "\xc3\xa9", "\xc3\xa9\"", "\xe2\x82", "\xac", "\xe2", "\x82\xac\"",
                                     ":", " ", "  ", "1", "12", "-", ",", "\"}", "}\"", "\xed\xa0", "\xff", "\xc0\x80",
                                     "\"b\":", "true", "tr", "ue", "null", "[", "]", "\n", "b", "c", "x"};
  auto trie = std::make_shared<TokenTrie>(pieces, std::vector<int32_t>{0}, std::vector<int32_t>{1});
  auto g = json_schema_to_grammar(std::string_view(
      R"({"type":"object","properties":{"a":{"type":"string","maxLength":3},"b":{"type":["integer","boolean","null"]},
          "c":{"type":"array","items":{"type":"string","pattern":"[^a]+"}}}})"));
  for (uint32_t seed = 1; seed <= 200; ++seed) compare_along_random_walk(g, trie, seed, 40);
  GrammarConstraint c(g, trie);
  EXPECT_THROW(c.accept(1), Error);   // control token
  EXPECT_THROW(c.accept(0), Error);   // EOS before completion
  EXPECT_THROW(c.accept(7), Error);   // "a" cannot start the object
  EXPECT_THROW(c.accept(99), Error);  // outside the vocabulary
}

TEST(Masking, EndTokenOnlyWhenCompleteAndDoneWhenNothingCanFollow) {
  std::vector<std::string> pieces = {"<eos>", "1", "2", "x"};
  auto trie = std::make_shared<TokenTrie>(pieces, std::vector<int32_t>{0});
  auto g = Grammar::parse("root ::= [12]{1,2}");
  GrammarConstraint c(g, trie);
  EXPECT_EQ(c.allowed(), (std::vector<int32_t>{1, 2}));
  c.accept(1);
  EXPECT_EQ(c.allowed(), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_FALSE(c.done());
  c.accept(2);
  EXPECT_EQ(c.allowed(), (std::vector<int32_t>{0}));
  EXPECT_TRUE(c.done());
  std::vector<float> logits(4, 1.0f);
  c.apply(logits.data());
  EXPECT_EQ(logits[0], 1.0f);
  EXPECT_TRUE(std::isinf(logits[1]) && logits[1] < 0);
}

class RealVocab : public ::testing::TestWithParam<const char*> {};

TEST_P(RealVocab, MaskEqualsBruteForce) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto v = testing::load_vocab_pieces(fixtures::dir() / "vocab" / GetParam());
  auto trie = std::make_shared<TokenTrie>(v.pieces, v.end_tokens, v.control_tokens);
  auto g = json_schema_to_grammar(std::string_view(
      R"({"type":"object","properties":{"name":{"type":"string","maxLength":12},"tags":{"type":"array","items":{"enum":["x","yy"]}},
          "n":{"type":"number"},"when":{"type":"string","format":"date"}},"required":["name","n"]})"));
  for (uint32_t seed = 1; seed <= 3; ++seed) compare_along_random_walk(g, trie, seed, 6);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RealVocab, ::testing::Values("ggml-vocab-llama-bpe.gguf", "ggml-vocab-llama-spm.gguf"));

TEST(Masking, EveryBudgetEndsComplete) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto v = testing::load_vocab_pieces(fixtures::dir() / "vocab" / "ggml-vocab-llama-bpe.gguf");
  auto trie = std::make_shared<TokenTrie>(v.pieces, v.end_tokens, v.control_tokens);
  auto g = json_schema_to_grammar(std::string_view(
      R"({"type":"object","properties":{"id":{"type":"integer"},"label":{"type":"string"},
          "items":{"type":"array","items":{"type":"string"},"minItems":1}},"required":["id","label","items"]})"));
  auto automaton = std::make_shared<Automaton>(g);
  const uint64_t minimum = GrammarConstraint(g, trie, automaton).shortest_completion_bytes();
  std::mt19937 rng(7);
  for (uint64_t budget = minimum; budget < minimum + 60; ++budget) {
    GrammarConstraint c(g, trie, automaton);
    std::string text;
    uint64_t used = 0;
    // All follow the budget-aware mask; even budgets also switch to the shortest path once the
    // budget is down to the shortest completion.
    while (!c.done() && used < budget) {
      bool finishing = budget % 2 == 0 && budget - used <= c.shortest_completion_bytes();
      std::vector<int32_t> choice = finishing ? c.finishing_tokens() : c.allowed(budget - used);
      ASSERT_FALSE(choice.empty());
      int32_t t = choice[std::uniform_int_distribution<size_t>(0, choice.size() - 1)(rng)];
      if (trie->is_end(t)) break;
      c.accept(t);
      text += trie->piece(t);
      ++used;
    }
    EXPECT_TRUE(c.is_complete()) << "budget " << budget << ": " << text;
    EXPECT_LE(used, budget);
    Matcher m(g);
    EXPECT_TRUE(m.accept(text) && m.is_complete()) << text;
  }
}

}  // namespace
}  // namespace airlock::grammar
