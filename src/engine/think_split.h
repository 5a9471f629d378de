// Thinking models (Qwen3, DeepSeek-R1 and its distills, any template whose answers start with
// <think>…</think>) reason before they answer. ThinkSplit separates a generation's text into that
// thinking block and the answer after it, piece by piece as it streams: a tag split across pieces
// is held back until it is known, the whitespace between the block and the answer is dropped, and
// an output that does not open with the block is all answer.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace airlock::engine {

inline constexpr std::string_view kThinkOpen = "<think>";
inline constexpr std::string_view kThinkClose = "</think>";

// Whether a rendered prompt leaves the model inside a thinking block (the R1 templates end the
// generation prompt with "<think>\n"); a prompt that closes it (a no-think variant) does not.
bool prompt_opens_thinking(std::string_view rendered);

// How a generation treats a thinking block (GenerateParams::think).
struct ThinkParams {
  bool split = false;       // separate the block from the answer; a constraint starts after it
  bool inside = false;      // the prompt opened the block already
  int32_t open_token = -1;  // "<think>" as one token: allowed beside a constraint's first tokens
};

class ThinkSplit {
 public:
  struct Parts {
    std::string thinking, answer;
  };
  // `inside`: the prompt already opened the block (prompt_opens_thinking).
  explicit ThinkSplit(bool inside);
  Parts feed(std::string_view text);
  // What is still held back, once generation is over.
  Parts finish();
  // Past the thinking block, or sure there is none: the answer has begun.
  bool answering() const { return state_ == State::Answer || state_ == State::AfterClose; }
  // Inside the block: nothing generated now is the answer.
  bool thinking() const { return state_ == State::Thinking; }

 private:
  enum class State { Start, Thinking, AfterClose, Answer };
  State state_;
  std::string held_;  // Start: leading text that may still be "<think>"; Thinking: a possible "</think>" prefix
};

}  // namespace airlock::engine
