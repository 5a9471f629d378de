// A thinking block in the generation core: ThinkSplit divides streamed text into thinking and
// answer whatever the piece boundaries, and a Sequence constrains only the answer. The sequence
// runs over a toy vocabulary with logits written per step, so which token each rule picks is known.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/constraint.h"
#include "engine/sequence.h"
#include "engine/think_split.h"

namespace airlock::engine {
namespace {

// Feeds `text` in pieces of `step` bytes; returns {thinking, answer}.
std::pair<std::string, std::string> split_in_pieces(const std::string& text, size_t step, bool inside) {
  ThinkSplit s(inside);
  std::string thinking, answer;
  for (size_t i = 0; i < text.size(); i += step) {
    auto p = s.feed(text.substr(i, step));
    thinking += p.thinking;
    answer += p.answer;
  }
  auto p = s.finish();
  return {thinking + p.thinking, answer + p.answer};
}

TEST(ThinkSplit, AnyPieceBoundariesGiveTheSameDivision) {
  for (size_t step = 1; step <= 9; ++step) {
    EXPECT_EQ(split_in_pieces("\n<think>why < not </thin</think>\n\n Yes.", step, false),
              std::make_pair(std::string("why < not </thin"), std::string("Yes.")))
        << step;
    EXPECT_EQ(split_in_pieces("plan</think>answer <think>", step, true),
              std::make_pair(std::string("plan"), std::string("answer <think>")))
        << step;
    // No block: all answer, leading whitespace kept; an unfinished block is all thinking.
    EXPECT_EQ(split_in_pieces("  <thing>", step, false), std::make_pair(std::string(), std::string("  <thing>"))) << step;
    EXPECT_EQ(split_in_pieces("<think>still going </th", step, false),
              std::make_pair(std::string("still going </th"), std::string()))
        << step;
  }
}

TEST(ThinkSplit, PromptThatOpensTheBlock) {
  EXPECT_TRUE(prompt_opens_thinking("<|Assistant|><think>\n"));
  EXPECT_FALSE(prompt_opens_thinking("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(prompt_opens_thinking("<|im_start|>assistant\n"));
}

// Tokens: 0 end, 1 "<think>", 2 "</think>", 3 "a", 4 "b", 5 "\n".
const std::vector<std::string> kPieces = {"", "<think>", "</think>", "a", "b", "\n"};

TokenText toy_text() {
  return {.is_end = [](int32_t id) { return id == 0; },
          .piece = [](int32_t id) { return kPieces[static_cast<size_t>(id)]; },
          .finish = [] { return std::string(); }};
}

// Runs greedy steps, each favouring one token (logit 10 against 0); returns {thinking, answer}.
std::pair<std::string, std::string> run(const std::vector<int32_t>& favoured, bool think) {
  ConstraintCache cache([] { return VocabPieces{kPieces, {0}, {}}; });
  auto constraint = cache.start(R"(root ::= "ab")", "");
  GenerateParams params;
  params.sampling.temperature = 0;
  params.sampling.repeat_penalty = 1;
  params.constraint = constraint.get();
  params.think = {.split = think, .inside = false, .open_token = 1};
  Sequence seq(params, toy_text(), static_cast<int32_t>(kPieces.size()), {});
  std::string thinking, answer;
  for (int32_t want : favoured) {
    if (seq.done()) break;
    std::vector<float> logits(kPieces.size(), 0.0f);
    logits[1] = -5.0f;  // "<think>" only when favoured
    logits[static_cast<size_t>(want)] = 10.0f;
    answer += seq.accept(seq.sample(logits.data(), 100));
    thinking += seq.take_thinking();
  }
  answer += seq.finish();
  thinking += seq.take_thinking();
  return {thinking, answer};
}

TEST(SequenceThinking, TheConstraintStartsAfterTheBlock) {
  // The model wants: <think> b </think> b a. Thinking, "b" is free although the grammar's first
  // byte is "a"; after the block the grammar forces "a" then "b".
  EXPECT_EQ(run({1, 4, 2, 4, 3, 3}, true), std::make_pair(std::string("b"), std::string("ab")));
  // Without thinking the same logits are constrained from the first token.
  EXPECT_EQ(run({1, 4, 2, 4, 3, 3}, false), std::make_pair(std::string(), std::string("ab")));
  // A thinking request whose model answers straight away is constrained at once.
  EXPECT_EQ(run({4, 4, 4}, true), std::make_pair(std::string(), std::string("ab")));
}

}  // namespace
}  // namespace airlock::engine
