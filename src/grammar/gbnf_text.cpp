#include "grammar/gbnf_text.h"

#include <cstdio>

namespace airlock::grammar {
namespace {

std::string escape_code_point(uint32_t cp) {
  char buf[16];
  bool alnum = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (alnum) return std::string(1, static_cast<char>(cp));
  if (cp <= 0xFF) std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(cp));
  else if (cp <= 0xFFFF) std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(cp));
  else std::snprintf(buf, sizeof buf, "\\U%08X", static_cast<unsigned>(cp));
  return buf;
}

}  // namespace

std::string gbnf_literal(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string gbnf_class(const std::vector<CharRange>& ranges, bool negated) {
  std::string out = negated ? "[^" : "[";
  for (const CharRange& r : ranges) {
    out += escape_code_point(r.lo);
    if (r.hi != r.lo) out += "-" + escape_code_point(r.hi);
  }
  return out + "]";
}

}  // namespace airlock::grammar
