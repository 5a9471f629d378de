#include "engine/constraint.h"

#include <nlohmann/json.hpp>

#include "airlock/error.h"
#include "grammar/json_schema.h"

namespace airlock::engine {
namespace {

// "json" arrives bare from the CLI and as the JSON string "\"json\"" from a server that forwards
// the request's value as text; both mean any JSON object.
bool is_json_mode(std::string_view format) { return format == "json" || format == "\"json\""; }

std::shared_ptr<const grammar::Grammar> compile_format(std::string_view format) {
  if (is_json_mode(format)) return grammar::json_object_grammar();
  auto schema = nlohmann::ordered_json::parse(format, nullptr, false);
  if (schema.is_discarded() || !schema.is_object())
    throw Error("format: expected \"json\" or a JSON Schema object");
  try {
    return grammar::json_schema_to_grammar(schema);
  } catch (const Error& e) {
    throw Error(std::string("format: ") + e.what());
  }
}

std::shared_ptr<const grammar::Grammar> compile_gbnf(std::string_view gbnf) {
  try {
    return grammar::Grammar::parse(gbnf);
  } catch (const Error& e) {
    throw Error(std::string("grammar: ") + e.what());
  }
}

}  // namespace

ConstraintCache::ConstraintCache(std::function<VocabPieces()> vocab, size_t capacity)
    : vocab_(std::move(vocab)), capacity_(capacity < 1 ? 1 : capacity) {}

std::shared_ptr<const grammar::TokenTrie> ConstraintCache::trie() {
  std::call_once(trie_once_, [this] {
    VocabPieces v = vocab_();
    trie_ = std::make_shared<grammar::TokenTrie>(v.pieces, v.end_tokens, v.control_tokens);
  });
  return trie_;
}

CompiledConstraint ConstraintCache::compile(std::string_view grammar, std::string_view format) {
  if (grammar.empty() == format.empty())
    throw Error(grammar.empty() ? "constraint: neither grammar nor format given"
                                : "constraint: grammar and format are exclusive; give one");
  std::string key = grammar.empty() ? "f" + std::string(format) : "g" + std::string(grammar);
  if (!format.empty() && is_json_mode(format)) key = "fjson";
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
  }
  // Compiled without the lock: a large schema must not stall requests that hit the cache.
  CompiledConstraint c;
  c.grammar = grammar.empty() ? compile_format(format) : compile_gbnf(grammar);
  c.automaton = std::make_shared<grammar::Automaton>(c.grammar);
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) return it->second->second;  // a racing twin won
  lru_.emplace_front(key, c);
  index_[key] = lru_.begin();
  if (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return c;
}

std::unique_ptr<grammar::GrammarConstraint> ConstraintCache::start(std::string_view grammar,
                                                                   std::string_view format) {
  CompiledConstraint c = compile(grammar, format);
  return std::make_unique<grammar::GrammarConstraint>(c.grammar, trie(), c.automaton);
}

size_t ConstraintCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lru_.size();
}

}  // namespace airlock::engine
