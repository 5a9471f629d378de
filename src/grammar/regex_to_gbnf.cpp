#include "grammar/regex_to_gbnf.h"

#include <algorithm>
#include <vector>

#include "airlock/error.h"
#include "common/utf8.h"
#include "grammar/gbnf_text.h"
#include "grammar/grammar.h"

namespace airlock::grammar {
namespace {

constexpr size_t kMaxCount = 1000;
constexpr int kMaxGroupNesting = 100;  // the parser recurses once per group level

using Ranges = std::vector<CharRange>;

Ranges normalise(Ranges r) {
  std::sort(r.begin(), r.end(), [](CharRange a, CharRange b) { return a.lo < b.lo; });
  Ranges out;
  for (CharRange x : r) {
    if (!out.empty() && x.lo <= out.back().hi + 1) out.back().hi = std::max(out.back().hi, x.hi);
    else out.push_back(x);
  }
  return out;
}

Ranges complement(const Ranges& r) {
  Ranges out;
  uint32_t next = 0;
  for (CharRange x : normalise(r)) {
    if (x.lo > next) out.push_back({next, x.lo - 1});
    next = x.hi + 1;
  }
  if (next <= kMaxCodePoint) out.push_back({next, kMaxCodePoint});
  return out;
}

// Removes what a JSON string cannot hold unescaped: controls, quote, backslash.
Ranges raw_json_chars(const Ranges& r) {
  Ranges forbidden{{0, 0x1F}, {'"', '"'}, {'\\', '\\'}};
  Ranges out;
  for (CharRange x : complement(forbidden)) {
    for (CharRange y : normalise(r)) {
      uint32_t lo = std::max(x.lo, y.lo), hi = std::min(x.hi, y.hi);
      if (lo <= hi) out.push_back({lo, hi});
    }
  }
  return normalise(out);
}

// One literal character as it must appear inside a JSON string.
std::string json_char_literal(uint32_t cp) {
  switch (cp) {
    case '"': return gbnf_literal("\\\"");
    case '\\': return gbnf_literal("\\\\");
    case '\n': return gbnf_literal("\\n");
    case '\t': return gbnf_literal("\\t");
    case '\r': return gbnf_literal("\\r");
    case '\f': return gbnf_literal("\\f");
    case '\b': return gbnf_literal("\\b");
    default: break;
  }
  if (cp < 0x20) {
    const char* hex = "0123456789abcdef";
    return gbnf_literal(std::string("\\u00") + hex[cp >> 4] + hex[cp & 15]);
  }
  std::string s;
  append_utf8(s, cp);
  return gbnf_literal(s);
}

class RegexParser {
 public:
  explicit RegexParser(std::string_view p) : p_(p) {}

  std::string run() {
    std::string out = alternation();
    if (pos_ < p_.size()) fail("unmatched ')'");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("JSON schema pattern '" + std::string(p_) + "': " + what + " at offset " + std::to_string(pos_));
  }
  bool eof() const { return pos_ >= p_.size(); }
  char peek() const { return eof() ? '\0' : p_[pos_]; }

  std::string alternation() {
    std::vector<std::string> alts{sequence()};
    while (peek() == '|') {
      ++pos_;
      alts.push_back(sequence());
    }
    if (alts.size() == 1) return alts[0];
    std::string out = "(";
    for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
    return out + ")";
  }

  std::string sequence() {
    std::string out;
    while (!eof() && peek() != '|' && peek() != ')') {
      std::string atom = this->atom();
      std::string q = quantifier();
      if (atom.empty()) {
        if (!q.empty()) fail("quantifier after an anchor");
        continue;
      }
      out += (out.empty() ? "" : " ") + atom + q;
    }
    return out;
  }

  std::string atom() {
    char c = p_[pos_];
    if (c == '*' || c == '+' || c == '?' || c == '{') fail("nothing to repeat");
    if (c == '^') {
      if (pos_ != 0) fail("'^' is only supported at the start");
      ++pos_;
      return "";
    }
    if (c == '$') {
      if (pos_ + 1 != p_.size()) fail("'$' is only supported at the end");
      ++pos_;
      return "";
    }
    if (c == '(') {
      ++pos_;
      if (++nesting_ > kMaxGroupNesting) fail("groups nested deeper than " + std::to_string(kMaxGroupNesting));
      if (peek() == '?') {
        if (p_.substr(pos_, 2) != "?:") fail("lookaround and named groups are not supported");
        pos_ += 2;
      }
      std::string inner = alternation();
      if (peek() != ')') fail("missing ')'");
      ++pos_;
      --nesting_;
      return "(" + inner + ")";
    }
    if (c == '[') return gbnf_class(class_ranges(), false);
    if (c == '.') {
      ++pos_;
      return gbnf_class(raw_json_chars(complement({{'\n', '\n'}, {'\r', '\r'}})), false);
    }
    Ranges set;
    uint32_t cp = single(set);
    if (!set.empty()) {
      Ranges raw = raw_json_chars(set);
      if (raw.empty()) fail("escape matches no character a JSON string holds unescaped");
      return gbnf_class(raw, false);
    }
    return json_char_literal(cp);
  }

  // Parses one character or escape. Class escapes (\d, \w, ...) fill `set` instead.
  uint32_t single(Ranges& set) {
    if (p_[pos_] != '\\') return decode_utf8();
    ++pos_;
    if (eof()) fail("pattern ends with '\\'");
    char e = p_[pos_++];
    const Ranges digit{{'0', '9'}}, word{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}},
        space{{'\t', '\r'}, {' ', ' '}, {0xA0, 0xA0}, {0x2028, 0x2029}, {0xFEFF, 0xFEFF}};
    switch (e) {
      case 'd': set = digit; return 0;
      case 'D': set = complement(digit); return 0;
      case 'w': set = word; return 0;
      case 'W': set = complement(word); return 0;
      case 's': set = space; return 0;
      case 'S': set = complement(space); return 0;
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'x': return hex(2);
      case 'u': return hex(4);
      default: break;
    }
    bool alnum = (e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z');
    if (alnum) fail(std::string("unsupported escape '\\") + e + "'");
    return static_cast<uint8_t>(e);
  }

  uint32_t hex(size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i, ++pos_) {
      char c = peek();
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) fail("bad hex escape");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  }

  uint32_t decode_utf8() {
    auto b = [&](size_t i) { return static_cast<uint8_t>(p_[i]); };
    uint8_t b0 = b(pos_);
    size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
    if (len == 0 || pos_ + len > p_.size()) fail("invalid UTF-8");
    uint32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
    for (size_t i = 1; i < len; ++i) {
      if ((b(pos_ + i) & 0xC0) != 0x80) fail("invalid UTF-8");
      cp = (cp << 6) | (b(pos_ + i) & 0x3F);
    }
    pos_ += len;
    return cp;
  }

  Ranges class_ranges() {
    ++pos_;  // '['
    bool negated = peek() == '^';
    if (negated) ++pos_;
    Ranges r;
    bool first = true;
    while (first || peek() != ']') {
      if (eof()) fail("unterminated character class");
      first = false;
      Ranges set;
      uint32_t lo = single(set);
      if (!set.empty()) {
        r.insert(r.end(), set.begin(), set.end());
        continue;
      }
      uint32_t hi = lo;
      if (peek() == '-' && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        ++pos_;
        hi = single(set);
        if (!set.empty()) fail("class escape as a range end");
        if (hi < lo) fail("reversed range in character class");
      }
      r.push_back({lo, hi});
    }
    ++pos_;
    Ranges raw = raw_json_chars(negated ? complement(r) : r);
    if (raw.empty()) fail("character class matches no character a JSON string holds unescaped");
    return raw;
  }

  size_t count() {
    size_t v = 0;
    bool any = false;
    while (peek() >= '0' && peek() <= '9') {
      v = v * 10 + static_cast<size_t>(peek() - '0');
      if (v > kMaxCount) fail("repetition count above 1000");
      ++pos_;
      any = true;
    }
    if (!any) fail("expected a number in '{}'");
    return v;
  }

  std::string quantifier() {
    std::string q;
    char c = peek();
    if (c == '*' || c == '+' || c == '?') {
      ++pos_;
      q = std::string(1, c);
    } else if (c == '{') {
      ++pos_;
      size_t min = count(), max = min;
      bool open = false;
      if (peek() == ',') {
        ++pos_;
        if (peek() == '}') open = true;
        else max = count();
      }
      if (peek() != '}') fail("expected '}'");
      ++pos_;
      if (!open && max < min) fail("repetition max below min");
      q = "{" + std::to_string(min) + (open ? "," : max != min ? "," + std::to_string(max) : "") + "}";
    } else {
      return "";
    }
    if (peek() == '?') ++pos_;  // lazy: same language
    if (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{') fail("nested quantifier");
    return q;
  }

  std::string_view p_;
  size_t pos_ = 0;
  int nesting_ = 0;  // open groups
};

}  // namespace

std::string regex_to_gbnf(std::string_view pattern) { return RegexParser(pattern).run(); }

}  // namespace airlock::grammar
