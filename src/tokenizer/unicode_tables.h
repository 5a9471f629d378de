// Per-code-point maps that PCRE2 does not provide, generated from the Unicode Character Database
// by scripts/gen_unicode_tables.py (unicode_tables.cpp). Used by WordPiece normalisation.
#pragma once
#include <cstddef>
#include <cstdint>

namespace airlock::tokenizer {

struct CodepointPair {
  uint32_t from;
  uint32_t to;
};

// Sorted by `from`; only code points that change are listed.
extern const CodepointPair kNfdFirst[];
extern const size_t kNfdFirst_size;
extern const CodepointPair kLowercase[];
extern const size_t kLowercase_size;

// First code point of the one-level canonical decomposition (accent stripping), or cp itself.
uint32_t nfd_first(uint32_t cp);
// Simple lower-case mapping, or cp itself.
uint32_t to_lower(uint32_t cp);

}  // namespace airlock::tokenizer
