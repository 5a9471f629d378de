#include "grammar/matcher.h"

namespace airlock::grammar {

Matcher::Matcher(std::shared_ptr<const Grammar> g) : g_(std::move(g)), state_(initial_state(*g_)) {}

bool Matcher::accept(std::string_view bytes) {
  for (char c : bytes)
    if (!step(*g_, state_, static_cast<uint8_t>(c))) return false;
  return !state_.dead();
}

}  // namespace airlock::grammar
