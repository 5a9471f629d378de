#include "grammar/automaton.h"

#include <cstring>

namespace airlock::grammar {
namespace {

// A byte string that identifies a ParseState, for interning.
std::string key_of(const ParseState& s) {
  std::string key;
  auto put = [&](uint32_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(s.partial.value);
  put(s.partial.need | (static_cast<uint32_t>(s.partial.length) << 8));
  for (const Stack& st : s.stacks) {
    put(static_cast<uint32_t>(st.size()));
    for (uint32_t pos : st) put(pos);
  }
  return key;
}

}  // namespace

Automaton::Automaton(std::shared_ptr<const Grammar> g) : g_(std::move(g)) { intern(initial_state(*g_)); }

int32_t Automaton::intern(ParseState s) {
  std::string key = key_of(s);
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  int32_t id = static_cast<int32_t>(states_.size());
  Info info;
  info.complete = s.complete();
  info.can_continue = s.can_continue();
  info.shortest = shortest_completion(*g_, s);
  info.parse = std::move(s);
  states_.push_back(std::move(info));
  transitions_.resize(transitions_.size() + 256, kUnknown);
  index_.emplace(std::move(key), id);
  return id;
}

int32_t Automaton::compute(int32_t state, uint8_t byte) {
  ParseState s = states_[state].parse;
  if (!step(*g_, s, byte)) return kDead;
  return intern(std::move(s));
}

}  // namespace airlock::grammar
