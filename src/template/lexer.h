// Splits template source into text and tag tokens, applying Jinja2's whitespace control
// (`{%-`, `-%}`, `{%+`, trim_blocks, lstrip_blocks) to the text between tags.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace airlock::tmpl {

enum class Tok : uint8_t { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof };

struct Token {
  Tok type = Tok::Eof;
  std::string text;  // Text data, name, decoded string literal, or operator
  int64_t i = 0;
  double f = 0;
  int line = 1;
};

struct LexOptions {
  bool trim_blocks = false;    // drop the first newline after a block or comment tag
  bool lstrip_blocks = false;  // drop spaces/tabs between a line start and a block or comment tag
};

// Throws airlock::Error ("template line N: ...") for unterminated tags or strings and bad characters.
std::vector<Token> lex(const std::string& source, const LexOptions& opt);

}  // namespace airlock::tmpl
