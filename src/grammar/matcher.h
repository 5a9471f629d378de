// Incremental matching of bytes against a grammar: feed output as it is produced, ask whether it
// is a complete sentence of the grammar and whether it can still grow.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>

#include "grammar/grammar.h"
#include "grammar/parse_state.h"

namespace airlock::grammar {

class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const Grammar> g);

  // Consumes bytes (which may end inside a UTF-8 character). Returns false as soon as a byte cannot
  // continue any valid output; the matcher is then dead and accepts nothing more.
  bool accept(std::string_view bytes);
  bool dead() const { return state_.dead(); }
  // The bytes so far form a complete sentence of the grammar.
  bool is_complete() const { return state_.complete(); }
  // More bytes could follow (the output may be complete and still extendable).
  bool can_continue() const { return state_.can_continue(); }
  uint64_t shortest_completion_bytes() const { return shortest_completion(*g_, state_); }

  const ParseState& state() const { return state_; }

 private:
  std::shared_ptr<const Grammar> g_;
  ParseState state_;
};

}  // namespace airlock::grammar
