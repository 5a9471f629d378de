// GPT-2's reversible byte <-> printable-character mapping used by byte-level BPE vocabularies:
// printable Latin-1 bytes stand for themselves, the other bytes for U+0100 onwards.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace airlock::tokenizer {

// UTF-8 text of the character that stands for byte b.
const std::string& byte_to_unicode(uint8_t b);

// Maps a vocab token text back to raw bytes. Characters outside the mapping are kept as
// their UTF-8 bytes (some vocabs store added tokens unmapped).
std::string unicode_to_bytes(std::string_view token_text);

}  // namespace airlock::tokenizer
