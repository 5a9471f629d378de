// JSON Schema `pattern` (an ECMAScript regex subset) -> a GBNF expression for the content of a JSON
// string (between the quotes), escaped as JSON requires. Supported: literals, escapes (\d \w \s and
// their negations, \n \t \r \f \v \xHH \uHHHH, escaped punctuation), `.`, classes with ranges and
// negation, groups (plain and (?:...)), alternation, * + ? {m} {m,} {m,n} (lazy forms too), and ^ $
// at the ends. Anything else (backreferences, lookaround, \b, inner anchors) throws airlock::Error.
// Characters a JSON string cannot hold raw (quote, backslash, controls) are written escaped when
// literal and left out of classes, so the output is always a valid JSON string that matches.
#pragma once
#include <string>
#include <string_view>

namespace airlock::grammar {

std::string regex_to_gbnf(std::string_view pattern);

}  // namespace airlock::grammar
