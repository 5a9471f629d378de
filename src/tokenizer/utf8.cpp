#include "tokenizer/utf8.h"

#include "common/utf8.h"
namespace airlock::tokenizer {

namespace {

bool is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

// Valid range for the second byte of a sequence, per RFC 3629 (excludes overlongs, surrogates
// and code points above U+10FFFF).
bool second_byte_ok(uint8_t lead, uint8_t b) {
  if (lead == 0xE0) return b >= 0xA0 && b <= 0xBF;
  if (lead == 0xED) return b >= 0x80 && b <= 0x9F;
  if (lead == 0xF0) return b >= 0x90 && b <= 0xBF;
  if (lead == 0xF4) return b >= 0x80 && b <= 0x8F;
  return is_cont(b);
}

// Expected length of a sequence starting with lead, or 0 if lead can never start one.
size_t seq_len(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

uint32_t utf8_decode(std::string_view s, size_t& pos) {
  const auto lead = static_cast<uint8_t>(s[pos]);
  const size_t n = seq_len(lead);
  if (n == 1) {
    ++pos;
    return lead;
  }
  if (n == 0 || pos + n > s.size() || !second_byte_ok(lead, static_cast<uint8_t>(s[pos + 1]))) {
    ++pos;
    return kReplacementChar;
  }
  for (size_t k = 2; k < n; ++k) {
    if (!is_cont(static_cast<uint8_t>(s[pos + k]))) {
      ++pos;
      return kReplacementChar;
    }
  }
  uint32_t cp = lead & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[pos + k]) & 0x3F);
  pos += n;
  return cp;
}

std::string utf8_sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const uint32_t cp = utf8_decode(s, pos);
    if (cp == kReplacementChar && pos - start == 1)
      append_utf8(out, cp);
    else
      out.append(s.substr(start, pos - start));
  }
  return out;
}

std::string utf8_replace_invalid(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const auto lead = static_cast<uint8_t>(s[pos]);
    const size_t n = seq_len(lead);
    size_t ok = n == 0 ? 0 : 1;  // bytes of the sequence that are valid so far
    while (ok > 0 && ok < n && pos + ok < s.size()) {
      const auto b = static_cast<uint8_t>(s[pos + ok]);
      if (!(ok == 1 ? second_byte_ok(lead, b) : is_cont(b))) break;
      ++ok;
    }
    if (n != 0 && ok == n) {
      out.append(s.substr(pos, n));
      pos += n;
    } else {
      append_utf8(out, kReplacementChar);
      pos += ok == 0 ? 1 : ok;
    }
  }
  return out;
}

size_t utf8_incomplete_tail(std::string_view s) {
  // Look back at most 3 bytes for a lead byte whose sequence runs past the end.
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    const auto b = static_cast<uint8_t>(s[s.size() - back]);
    if (is_cont(b)) continue;
    const size_t n = seq_len(b);
    if (n <= back) return 0;
    // The bytes present must themselves be a valid prefix.
    if (back >= 2 && !second_byte_ok(b, static_cast<uint8_t>(s[s.size() - back + 1]))) return 0;
    return back;
  }
  return 0;
}

}  // namespace airlock::tokenizer
