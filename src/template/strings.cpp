#include "template/strings.h"

#include <airlock/error.h>

#include <cctype>

#include "common/utf8.h"
namespace airlock::tmpl {

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string py_strip(const std::string& s, const std::string* chars, bool left, bool right) {
  auto strip_char = [&](char c) { return chars ? chars->find(c) != std::string::npos : is_ws(c); };
  size_t b = 0, e = s.size();
  if (left)
    while (b < e && strip_char(s[b])) ++b;
  if (right)
    while (e > b && strip_char(s[e - 1])) --e;
  return s.substr(b, e - b);
}

namespace {

// Code points of a UTF-8 string; a byte that does not start a valid sequence is kept as itself,
// marked with kRawByte, so that re-encoding gives back the input exactly.
constexpr uint32_t kRawByte = 0x80000000u;

std::vector<uint32_t> decode(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t k = 0; k < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[k]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && k + len <= s.size();
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t m = 1; ok && m < len; ++m) {
      unsigned char cc = static_cast<unsigned char>(s[k + m]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok) {
      out.push_back(kRawByte | c);
      ++k;
      continue;
    }
    out.push_back(cp);
    k += len;
  }
  return out;
}

std::string encode(const std::vector<uint32_t>& cps) {
  std::string out;
  for (uint32_t cp : cps) {
    if (cp & kRawByte)
      out += static_cast<char>(cp & 0xFF);
    else
      append_utf8(out, cp);
  }
  return out;
}

// In Latin Extended-A, case pairs sit side by side; which of the two is upper case flips twice.
bool latin_ext_a_upper_is_even(uint32_t c) { return (c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177); }
bool latin_ext_a_paired(uint32_t c) {
  return (c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x139 && c <= 0x148) ||
         (c >= 0x14A && c <= 0x177) || (c >= 0x179 && c <= 0x17E);
}

uint32_t upper(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;
  if (c == 0xFF) return 0x178;
  if (latin_ext_a_paired(c)) {
    bool is_lower = latin_ext_a_upper_is_even(c) ? (c & 1) : !(c & 1);
    return is_lower ? c - 1 : c;
  }
  if (c >= 0x3B1 && c <= 0x3C9) return c == 0x3C2 ? 0x3A3 : c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

uint32_t lower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
  if (c == 0x178) return 0xFF;
  if (latin_ext_a_paired(c)) {
    bool is_upper = latin_ext_a_upper_is_even(c) ? !(c & 1) : (c & 1);
    return is_upper ? c + 1 : c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

bool cased(uint32_t c) { return upper(c) != c || lower(c) != c || c == 0xDF; }

}  // namespace

std::string str_upper(const std::string& s) {
  auto cps = decode(s);
  for (auto& c : cps) c = upper(c);
  return encode(cps);
}

std::string str_lower(const std::string& s) {
  auto cps = decode(s);
  for (auto& c : cps) c = lower(c);
  return encode(cps);
}

std::string py_capitalize(const std::string& s) {
  auto cps = decode(s);
  for (size_t k = 0; k < cps.size(); ++k) cps[k] = k == 0 ? upper(cps[k]) : lower(cps[k]);
  return encode(cps);
}

std::string py_title(const std::string& s) {
  auto cps = decode(s);
  bool prev_cased = false;
  for (auto& c : cps) {
    bool is_cased = cased(c);
    if (is_cased) c = prev_cased ? lower(c) : upper(c);
    prev_cased = is_cased;
  }
  return encode(cps);
}

std::string py_replace(const std::string& s, const std::string& from, const std::string& to, int64_t count,
                       size_t max_bytes) {
  std::string out;
  int64_t done = 0;
  if (from.empty()) {
    // Python inserts `to` before every character and at the end.
    for (size_t k = 0; k <= s.size(); ++k) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      if (k < s.size()) out += s[k];
      if (out.size() > max_bytes) throw Error("replace: result exceeds " + std::to_string(max_bytes) + " bytes");
    }
    return out;
  }
  size_t pos = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
    ++done;
    if (out.size() > max_bytes) throw Error("replace: result exceeds " + std::to_string(max_bytes) + " bytes");
  }
  out.append(s, pos, std::string::npos);
  if (out.size() > max_bytes) throw Error("replace: result exceeds " + std::to_string(max_bytes) + " bytes");
  return out;
}

std::vector<std::string> py_split(const std::string& s, const std::string* sep, int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    if (sep->empty()) throw Error("split: empty separator");
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      size_t hit = s.find(*sep, pos);
      if (hit == std::string::npos) break;
      out.push_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    out.push_back(s.substr(pos));
    return out;
  }
  size_t k = 0;
  while (true) {
    while (k < s.size() && is_ws(s[k])) ++k;
    if (k >= s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      size_t e = s.size();
      while (e > k && is_ws(s[e - 1])) --e;
      out.push_back(s.substr(k, e - k));
      break;
    }
    size_t b = k;
    while (k < s.size() && !is_ws(s[k])) ++k;
    out.push_back(s.substr(b, k - b));
  }
  return out;
}

std::vector<std::string> py_splitlines(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t k = 0; k < s.size(); ++k) {
    char c = s[k];
    if (c == '\n' || c == '\r') {
      if (c == '\r' && k + 1 < s.size() && s[k + 1] == '\n') ++k;
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace airlock::tmpl
