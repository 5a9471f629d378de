// Grammar-constrained sampling for one generation: masks every token that cannot continue a valid
// output, follows the tokens actually sampled, and keeps the output finishable within a token
// budget.
//
// Typical use per step, with `left` tokens of num_predict / context remaining:
//   if (c.done()) stop;                      // structure complete, nothing can follow
//   c.apply(logits, left);                   // only tokens after which the rest still fits
//   sample token t from logits; c.accept(t); if (trie.is_end(t)) stop;
// The budget rule: a token is allowed only if the shortest completion after it (in bytes) fits in
// the tokens left after it. A vocabulary holding every single byte as a token (byte-level BPE,
// SentencePiece with byte fallback) can always write that completion one byte per token, so once
// the starting budget covers shortest_completion_bytes() the output always ends complete; the
// engine then reports done_reason "length" if the budget forced the choice.
// restrict_to_finish() is the stronger narrowing: only tokens on a shortest path to the end.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "grammar/automaton.h"
#include "grammar/grammar.h"
#include "grammar/token_trie.h"

namespace airlock::grammar {

class GrammarConstraint {
 public:
  // `automaton` may be shared between requests using the same grammar (it caches transitions);
  // when null a private one is made.
  GrammarConstraint(std::shared_ptr<const Grammar> g, std::shared_ptr<const TokenTrie> trie,
                    std::shared_ptr<Automaton> automaton = nullptr);

  static constexpr uint64_t kNoBudget = UINT64_MAX;

  // Sets logits[id] = -inf for every token not allowed now; logits has vocab_size() entries.
  // With a budget (tokens left, this one included), tokens after which the shortest completion
  // no longer fits are masked too; if the budget is already too small for any complete output,
  // the tokens of restrict_to_finish() are kept instead.
  void apply(float* logits, uint64_t budget = kNoBudget);
  // Allowed token ids, ascending. End tokens are included only when the output is complete.
  std::vector<int32_t> allowed(uint64_t budget = kNoBudget);
  // Like apply(), but keeps only tokens that make the most progress towards a complete output:
  // the end token when complete, else tokens minimising (token bytes + shortest completion after).
  void restrict_to_finish(float* logits);
  std::vector<int32_t> finishing_tokens();

  // Follows a sampled token. Throws airlock::Error if the token is not allowed.
  void accept(int32_t token);
  // The output is complete and no token can extend it (or an end token was accepted).
  bool done() const;
  bool is_complete() const;
  // Fewest bytes (hence at most this many tokens) that complete the output.
  uint64_t shortest_completion_bytes() const;
  size_t vocab_size() const { return trie_->vocab_size(); }

 private:
  // All of these expect the automaton's lock to be held.
  // The current automaton state, re-interned if the automaton was trimmed since it was taken.
  int32_t current();
  // Fills next_state_ (state after each token, kDead if not allowed) for the current state.
  void compute_candidates();
  std::vector<int32_t> finishing_tokens_locked();
  bool permitted(size_t id, bool complete, uint64_t budget) const;

  std::shared_ptr<const TokenTrie> trie_;
  std::shared_ptr<Automaton> automaton_;
  ParseState parse_;      // the current state itself, which survives a trim
  int32_t state_;         // its id in the automaton, valid for generation_
  uint64_t generation_ = 0;
  bool ended_ = false;
  bool candidates_valid_ = false;
  int32_t walked_state_ = -1;        // the state next_state_ was last walked for, in
  uint64_t walked_generation_ = 0;   // this automaton generation
  std::vector<int32_t> next_state_;  // per token id
  std::vector<int32_t> live_;        // ids whose next_state_ is set, to reset them cheaply
  std::vector<int32_t> walk_states_;  // scratch: automaton state per trie depth
};

}  // namespace airlock::grammar
