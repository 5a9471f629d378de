// Stop strings over streamed text: generation ends when the output contains one of them, even if
// it arrives split across several tokens, and no part of a stop string is ever emitted.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace airlock {

class StopMatcher {
 public:
  // Empty stop strings are ignored.
  explicit StopMatcher(std::vector<std::string> stops);

  // Adds one decoded piece and returns the text that is now safe to emit: everything except a
  // tail that could still turn into a stop string. After a match it returns the text before the
  // stop string, stopped() becomes true and further pieces are ignored.
  std::string feed(std::string_view piece);
  // Generation ended without a stop string: returns the text held back.
  std::string flush();

  bool stopped() const { return stopped_; }
  // The stop string that matched, or "" when none has.
  const std::string& matched() const { return matched_; }

 private:
  size_t held_tail_length() const;

  std::vector<std::string> stops_;
  std::string pending_;  // text not yet emitted
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace airlock
