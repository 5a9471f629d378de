// A byte-level automaton over a grammar, determinised lazily: each distinct ParseState met while
// matching or masking becomes a numbered state, and each (state, byte) transition is computed once
// and then read from a table. Masking a 128k vocabulary is then a trie walk of table lookups.
// One Automaton may serve every request that uses the same grammar; its methods lock internally.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/grammar.h"
#include "grammar/parse_state.h"

namespace airlock::grammar {

class Automaton {
 public:
  static constexpr int32_t kDead = -1;

  explicit Automaton(std::shared_ptr<const Grammar> g);

  const Grammar& grammar() const { return *g_; }
  int32_t initial() const { return 0; }
  size_t state_count() const { return states_.size(); }

  // The caller holds lock() around these (GrammarConstraint does so once per call).
  std::unique_lock<std::mutex> lock() const { return std::unique_lock<std::mutex>(mutex_); }
  int32_t next(int32_t state, uint8_t byte) {
    size_t at = static_cast<size_t>(state) * 256 + byte;
    if (transitions_[at] == kUnknown) {
      int32_t t = compute(state, byte);  // may grow transitions_, so index again afterwards
      transitions_[at] = t;
    }
    return transitions_[at];
  }
  bool complete(int32_t state) const { return states_[state].complete; }
  bool can_continue(int32_t state) const { return states_[state].can_continue; }
  uint64_t shortest(int32_t state) const { return states_[state].shortest; }

 private:
  static constexpr int32_t kUnknown = -2;
  struct Info {
    ParseState parse;
    bool complete = false;
    bool can_continue = false;
    uint64_t shortest = 0;
  };

  int32_t intern(ParseState s);
  int32_t compute(int32_t state, uint8_t byte);

  std::shared_ptr<const Grammar> g_;
  mutable std::mutex mutex_;
  std::vector<Info> states_;
  std::vector<int32_t> transitions_;  // 256 per state
  std::unordered_map<std::string, int32_t> index_;
};

}  // namespace airlock::grammar
