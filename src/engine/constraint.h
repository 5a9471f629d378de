// Constrained output for one model: the vocabulary trie (built once, on first use) and a bounded
// LRU of compiled grammars with their shared automata, keyed by the constraint's text, so repeated
// requests with the same schema skip compilation and reuse the transitions already determinised.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "grammar/automaton.h"
#include "grammar/constraint.h"
#include "grammar/grammar.h"
#include "grammar/token_trie.h"

namespace airlock::engine {

// What a TokenTrie is built from: each token's raw bytes, the end-of-generation ids, the control
// ids (never generated under a constraint).
struct VocabPieces {
  std::vector<std::string> pieces;
  std::vector<int32_t> end_tokens;
  std::vector<int32_t> control_tokens;
};

// A compiled constraint: the grammar and the automaton every request using it shares.
struct CompiledConstraint {
  std::shared_ptr<const grammar::Grammar> grammar;
  std::shared_ptr<grammar::Automaton> automaton;
};

class ConstraintCache {
 public:
  static constexpr size_t kDefaultCapacity = 32;
  // `vocab` is called once, when the first constraint needs the trie.
  explicit ConstraintCache(std::function<VocabPieces()> vocab, size_t capacity = kDefaultCapacity);

  // Compiles `grammar` (GBNF) or `format` ("json" or a JSON Schema object as text); exactly one of
  // them must be non-empty. Throws airlock::Error naming the bad field, keyword or grammar line.
  CompiledConstraint compile(std::string_view grammar, std::string_view format);
  // A fresh per-generation constraint over the cached grammar and the model's trie.
  std::unique_ptr<grammar::GrammarConstraint> start(std::string_view grammar, std::string_view format);

  std::shared_ptr<const grammar::TokenTrie> trie();
  size_t size() const;

 private:
  using Lru = std::list<std::pair<std::string, CompiledConstraint>>;
  std::function<VocabPieces()> vocab_;
  size_t capacity_;
  mutable std::mutex mutex_;
  std::once_flag trie_once_;
  std::shared_ptr<const grammar::TokenTrie> trie_;
  Lru lru_;  // most recently used first
  std::unordered_map<std::string, Lru::iterator> index_;
};

}  // namespace airlock::engine
