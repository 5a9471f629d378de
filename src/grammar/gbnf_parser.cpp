// GBNF text -> Grammar::Builder. A rule's body runs until the next `name ::=` (or the end), so
// newlines are ordinary white space. Repetitions and groups become generated rules:
//   X*     -> R ::= X R |        X+ -> X X*        X? -> R ::= X |
//   X{m,n} -> m copies of X, then n-m nested optionals; X{m,} -> m copies of X, then X*.
#include <algorithm>
#include <string>

#include "airlock/error.h"
#include "grammar/grammar.h"
#include "grammar/grammar_builder.h"

namespace airlock::grammar {
namespace {

constexpr size_t kMaxRepeat = 10000;      // bound on n in {m,n}: each count is a generated rule
constexpr size_t kMaxElements = 4000000;  // guards against grammars that expand without limit
constexpr int kMaxNesting = 100;          // parentheses: the parser recurses once per level

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

class Parser {
 public:
  Parser(std::string_view src, Grammar::Builder& b) : src_(src), b_(b) {}

  void parse() {
    skip_space();
    while (pos_ < src_.size()) {
      size_t at = pos_;
      std::string name = parse_name();
      if (name.empty()) fail(at, "expected a rule name");
      skip_space();
      if (src_.substr(pos_, 3) != "::=") fail(pos_, "expected '::=' after rule name '" + name + "'");
      pos_ += 3;
      uint32_t id = b_.rule_id(name, at);
      if (b_.defined[id]) fail(at, "rule '" + name + "' is defined twice");
      b_.defined[id] = true;
      b_.alts[id] = parse_alternatives(name, false);
    }
    for (size_t r = 0; r < b_.names.size(); ++r)
      if (!b_.defined[r]) fail(b_.first_use[r], "undefined rule '" + b_.names[r] + "'");
  }

 private:
  using Sequence = Grammar::Builder::Sequence;

  [[noreturn]] void fail(size_t at, const std::string& msg) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw Error("grammar line " + std::to_string(line) + " col " + std::to_string(col) + ": " + msg);
  }

  bool eof() const { return pos_ >= src_.size(); }
  char peek() const { return eof() ? '\0' : src_[pos_]; }

  void skip_space() {
    while (!eof()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (!eof() && src_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string parse_name() {
    size_t start = pos_;
    while (!eof() && is_name_char(src_[pos_])) ++pos_;
    return std::string(src_.substr(start, pos_ - start));
  }

  // True when the text at pos_ is `name ::=`, i.e. the current rule has ended.
  bool at_rule_start() {
    size_t save = pos_;
    bool yes = !parse_name().empty();
    if (yes) {
      skip_space();
      yes = src_.substr(pos_, 3) == "::=";
    }
    pos_ = save;
    return yes;
  }

  std::vector<Sequence> parse_alternatives(const std::string& rule, bool nested) {
    std::vector<Sequence> alts;
    alts.push_back(parse_sequence(rule, nested));
    while (peek() == '|') {
      ++pos_;
      alts.push_back(parse_sequence(rule, nested));
    }
    return alts;
  }

  Sequence parse_sequence(const std::string& rule, bool nested) {
    Sequence seq;
    size_t atom_start = 0;
    bool have_atom = false;
    for (;;) {
      skip_space();
      if (eof()) break;
      char c = peek();
      if (c == '|') break;
      if (c == ')') {
        if (nested) break;
        fail(pos_, "unmatched ')'");
      }
      if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (!have_atom) fail(pos_, std::string("'") + c + "' has nothing to repeat");
        apply_repetition(rule, seq, atom_start);
        have_atom = false;  // "x**" is refused rather than guessed at
        continue;
      }
      if (is_name_char(c) && at_rule_start()) {
        if (nested) fail(pos_, "missing ')' before the next rule");
        break;
      }
      atom_start = seq.size();
      parse_atom(rule, seq);
      have_atom = true;
      if (seq.size() > kMaxElements) fail(pos_, "grammar too large");
    }
    return seq;
  }

  void parse_atom(const std::string& rule, Sequence& seq) {
    size_t at = pos_;
    char c = peek();
    if (c == '"') {
      ++pos_;
      while (peek() != '"') {
        if (eof() || peek() == '\n') fail(at, "unterminated string literal");
        seq.push_back(b_.char_element(parse_char()));
      }
      ++pos_;
    } else if (c == '[') {
      ++pos_;
      bool negated = peek() == '^';
      if (negated) ++pos_;
      std::vector<CharRange> ranges;
      while (peek() != ']') {
        if (eof()) fail(at, "unterminated character class");
        uint32_t lo = parse_char();
        uint32_t hi = lo;
        if (peek() == '-' && pos_ + 1 < src_.size() && src_[pos_ + 1] != ']') {
          ++pos_;
          hi = parse_char();
          if (hi < lo) fail(at, "character range is reversed");
        }
        ranges.push_back({lo, hi});
      }
      ++pos_;
      uint32_t cls = b_.add_class(std::move(ranges), negated);
      if (b_.classes[cls].empty()) fail(at, "character class matches nothing");
      seq.push_back({ElemType::Char, cls});
    } else if (c == '.') {
      ++pos_;
      seq.push_back({ElemType::Char, b_.add_class({}, true)});
    } else if (c == '(') {
      ++pos_;
      if (++nesting_ > kMaxNesting) fail(at, "parentheses nested deeper than " + std::to_string(kMaxNesting));
      uint32_t id = b_.anonymous(rule);
      auto alts = parse_alternatives(rule, true);
      if (peek() != ')') fail(at, "missing ')'");
      ++pos_;
      --nesting_;
      b_.alts[id] = std::move(alts);
      seq.push_back({ElemType::Rule, id});
    } else if (is_name_char(c)) {
      std::string name = parse_name();
      seq.push_back({ElemType::Rule, b_.rule_id(name, at)});
    } else {
      fail(at, std::string("unexpected character '") + c + "'");
    }
  }

  uint32_t parse_hex(size_t digits) {
    size_t at = pos_;
    uint32_t v = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = peek();
      uint32_t d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else fail(at, "expected " + std::to_string(digits) + " hex digits");
      v = v * 16 + d;
      ++pos_;
    }
    if (v > kMaxCodePoint) fail(at, "code point above U+10FFFF");
    return v;
  }

  // One character of a literal or class: an escape or a UTF-8 encoded code point.
  uint32_t parse_char() {
    size_t at = pos_;
    auto byte = [&](size_t i) { return static_cast<uint8_t>(src_[i]); };
    if (peek() == '\\') {
      ++pos_;
      if (eof()) fail(at, "escape at end of input");
      char e = src_[pos_++];
      switch (e) {
        case 'n': return '\n';
        case 't': return '\t';
        case 'r': return '\r';
        case 'x': return parse_hex(2);
        case 'u': return parse_hex(4);
        case 'U': return parse_hex(8);
        case '\\': case '"': case '[': case ']': case '-': case '^': case '/': case '\'': return static_cast<uint8_t>(e);
        default: fail(at, std::string("unknown escape '\\") + e + "'");
      }
    }
    uint8_t b0 = byte(pos_);
    size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
    if (len == 0 || pos_ + len > src_.size()) fail(at, "invalid UTF-8");
    uint32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
    for (size_t i = 1; i < len; ++i) {
      if ((byte(pos_ + i) & 0xC0) != 0x80) fail(at, "invalid UTF-8");
      cp = (cp << 6) | (byte(pos_ + i) & 0x3F);
    }
    if (cp > kMaxCodePoint || (len > 1 && cp < (len == 2 ? 0x80u : len == 3 ? 0x800u : 0x10000u))) fail(at, "invalid UTF-8");
    pos_ += len;
    return cp;
  }

  size_t parse_count() {
    size_t at = pos_;
    size_t v = 0;
    bool any = false;
    while (peek() >= '0' && peek() <= '9') {
      v = v * 10 + (peek() - '0');
      if (v > kMaxRepeat) fail(at, "repetition count above " + std::to_string(kMaxRepeat));
      ++pos_;
      any = true;
    }
    if (!any) fail(at, "expected a number");
    return v;
  }

  // Replaces seq[atom_start..] (the last atom) by its repetition.
  void apply_repetition(const std::string& rule, Sequence& seq, size_t atom_start) {
    size_t at = pos_;
    char op = src_[pos_++];
    size_t min = 0, max = SIZE_MAX;  // SIZE_MAX: unbounded
    if (op == '+') min = 1;
    else if (op == '?') max = 1;
    else if (op == '{') {
      skip_space();
      min = parse_count();
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
        if (peek() != '}') max = parse_count();
      } else {
        max = min;
      }
      skip_space();
      if (peek() != '}') fail(at, "expected '}' to close the repetition");
      ++pos_;
      if (max < min) fail(at, "repetition has max below min");
    }
    Sequence atom(seq.begin() + atom_start, seq.end());
    seq.resize(atom_start);
    if (atom.size() != 1) {
      uint32_t id = b_.anonymous(rule);
      b_.alts[id] = {atom};
      atom = {{ElemType::Rule, id}};
    }
    const Element x = atom.front();
    if (min > kMaxRepeat || (max != SIZE_MAX && max > kMaxRepeat)) fail(at, "repetition count too large");
    for (size_t i = 0; i < min; ++i) seq.push_back(x);
    if (max == SIZE_MAX) {
      uint32_t star = b_.anonymous(rule);
      b_.alts[star] = {{x, {ElemType::Rule, star}}, {}};
      seq.push_back({ElemType::Rule, star});
    } else if (max > min) {
      // Innermost first: opt_1 ::= x | ; opt_k ::= x opt_{k-1} | .
      uint32_t inner = b_.anonymous(rule);
      b_.alts[inner] = {{x}, {}};
      for (size_t k = 1; k < max - min; ++k) {
        uint32_t outer = b_.anonymous(rule);
        b_.alts[outer] = {{x, {ElemType::Rule, inner}}, {}};
        inner = outer;
      }
      seq.push_back({ElemType::Rule, inner});
    }
    if (seq.size() > kMaxElements) fail(at, "grammar too large");
  }

  std::string_view src_;
  size_t pos_ = 0;
  int nesting_ = 0;  // open parentheses
  Grammar::Builder& b_;
};

}  // namespace

std::shared_ptr<const Grammar> Grammar::parse(std::string_view gbnf, std::string_view root) {
  Builder b;
  Parser(gbnf, b).parse();
  std::shared_ptr<Grammar> g(new Grammar());
  g->finish(b, root);
  return g;
}

}  // namespace airlock::grammar
