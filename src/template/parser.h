// Recursive-descent parser from lexer tokens to a statement tree, following Jinja2's grammar and
// operator precedence. Nesting deeper than kMaxParseDepth (parser recursion) or kMaxExprHeight
// (expression tree levels) is an error, so hostile input cannot exhaust the stack.
#pragma once
#include <vector>

#include "template/ast.h"
#include "template/lexer.h"

namespace airlock::tmpl {

inline constexpr int kMaxParseDepth = 200;
inline constexpr int kMaxExprHeight = 256;  // levels of one expression tree

// Throws airlock::Error ("template line N: ...") on syntax errors.
Body parse(const std::vector<Token>& tokens);

}  // namespace airlock::tmpl
