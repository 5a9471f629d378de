// Lookups into the generated tables of unicode_tables.cpp.
#include <algorithm>

#include "tokenizer/unicode_tables.h"

namespace airlock::tokenizer {

namespace {
uint32_t lookup(const CodepointPair* table, size_t n, uint32_t cp) {
  const auto* end = table + n;
  const auto* it = std::lower_bound(table, end, cp,
                                    [](const CodepointPair& p, uint32_t v) { return p.from < v; });
  return (it != end && it->from == cp) ? it->to : cp;
}

}  // namespace

uint32_t nfd_first(uint32_t cp) { return lookup(kNfdFirst, kNfdFirst_size, cp); }
uint32_t to_lower(uint32_t cp) { return lookup(kLowercase, kLowercase_size, cp); }

}  // namespace airlock::tokenizer
