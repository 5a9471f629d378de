#include "engine/think_split.h"

#include <cctype>

namespace airlock::engine {

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// The length of the longest suffix of `s` that is a proper prefix of `tag`: text that may still
// become the tag once more arrives.
size_t partial_tag(std::string_view s, std::string_view tag) {
  for (size_t n = std::min(s.size(), tag.size() - 1); n > 0; --n)
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

}  // namespace

bool prompt_opens_thinking(std::string_view rendered) {
  const size_t open = rendered.rfind(kThinkOpen);
  if (open == std::string_view::npos) return false;
  const size_t close = rendered.rfind(kThinkClose);
  return close == std::string_view::npos || close < open;
}

ThinkSplit::ThinkSplit(bool inside) : state_(inside ? State::Thinking : State::Start) {}

ThinkSplit::Parts ThinkSplit::feed(std::string_view text) {
  Parts out;
  std::string s = held_ + std::string(text);
  held_.clear();
  while (!s.empty()) {
    switch (state_) {
      case State::Start: {
        size_t b = 0;
        while (b < s.size() && is_space(s[b])) ++b;
        const std::string_view rest = std::string_view(s).substr(b);
        if (rest.starts_with(kThinkOpen)) {
          state_ = State::Thinking;
          s = s.substr(b + kThinkOpen.size());
        } else if (kThinkOpen.starts_with(rest)) {  // all whitespace, or a start of the tag
          held_ = s;
          return out;
        } else {
          state_ = State::Answer;
        }
        break;
      }
      case State::Thinking: {
        const size_t close = s.find(kThinkClose);
        if (close == std::string::npos) {
          const size_t keep = partial_tag(s, kThinkClose);
          out.thinking += s.substr(0, s.size() - keep);
          held_ = s.substr(s.size() - keep);
          return out;
        }
        out.thinking += s.substr(0, close);
        s = s.substr(close + kThinkClose.size());
        state_ = State::AfterClose;
        break;
      }
      case State::AfterClose: {
        size_t b = 0;
        while (b < s.size() && is_space(s[b])) ++b;
        s = s.substr(b);
        if (!s.empty()) state_ = State::Answer;
        break;
      }
      case State::Answer:
        out.answer += s;
        return out;
    }
  }
  return out;
}

ThinkSplit::Parts ThinkSplit::finish() {
  Parts out;
  if (state_ == State::Thinking) out.thinking = std::move(held_);
  else if (state_ == State::Start) out.answer = std::move(held_);
  held_.clear();
  return out;
}

}  // namespace airlock::engine
