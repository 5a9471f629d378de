// Small helpers for writing GBNF text: quoted literals and character classes.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/grammar.h"

namespace airlock::grammar {

// A GBNF string literal matching exactly these bytes (UTF-8 passes through; quotes, backslashes
// and control characters are escaped).
std::string gbnf_literal(std::string_view bytes);
// A GBNF character class `[...]` over code-point ranges (every non-alphanumeric escaped).
std::string gbnf_class(const std::vector<CharRange>& ranges, bool negated);

}  // namespace airlock::grammar
