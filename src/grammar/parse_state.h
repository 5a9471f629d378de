// The incremental parse state shared by the Matcher and the lazily built Automaton: a set of parse
// stacks (llama.cpp style: each stack lists element positions still to match, innermost last, and
// its top is always a character element; an empty stack means the input so far is complete) plus
// the bytes of a code point whose UTF-8 encoding is not finished yet.
#pragma once
#include <cstdint>
#include <vector>

#include "grammar/grammar.h"

namespace airlock::grammar {

using Stack = std::vector<uint32_t>;

struct PartialChar {
  uint32_t value = 0;  // bits decoded so far
  uint8_t need = 0;    // continuation bytes still expected; 0: on a character boundary
  uint8_t length = 0;  // total bytes of the character being decoded

  bool operator==(const PartialChar&) const = default;
};

struct ParseState {
  std::vector<Stack> stacks;  // sorted, no duplicates; empty vector: dead (no valid continuation)
  PartialChar partial;

  bool dead() const { return stacks.empty(); }
  bool complete() const;      // an empty stack and no pending partial character
  bool can_continue() const;  // some stack still expects a character
};

// The state before any input.
ParseState initial_state(const Grammar& g);
// Consumes one byte; returns false (and leaves `s` dead) when no stack can continue with it.
bool step(const Grammar& g, ParseState& s, uint8_t byte);
// Fewest bytes that take this state to a complete one.
uint64_t shortest_completion(const Grammar& g, const ParseState& s);

}  // namespace airlock::grammar
