#include "tokenizer/byte_unicode.h"

#include <array>

#include "common/utf8.h"
#include "tokenizer/utf8.h"

namespace airlock::tokenizer {

namespace {

struct Tables {
  std::array<std::string, 256> to_text;
  std::array<int16_t, 512> from_cp;  // code point (< 512) -> byte, -1 if none
  Tables() {
    from_cp.fill(-1);
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      const uint32_t cp = printable ? b : next++;
      append_utf8(to_text[b], cp);
      from_cp[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_unicode(uint8_t b) { return tables().to_text[b]; }

std::string unicode_to_bytes(std::string_view text) {
  const Tables& t = tables();
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const uint32_t cp = utf8_decode(text, pos);
    if (cp < t.from_cp.size() && t.from_cp[cp] >= 0)
      out += static_cast<char>(t.from_cp[cp]);
    else
      out.append(text.substr(start, pos - start));
  }
  return out;
}

}  // namespace airlock::tokenizer
