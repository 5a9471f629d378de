// Text hygiene shared by the parsers: telling text from binary and repairing invalid UTF-8.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace airlock::rag {

// Throws airlock::Error when `bytes` look like binary data (NUL bytes or mostly control
// characters in the first 8 KiB) rather than text.
void require_text(std::string_view bytes);

// `bytes` with every invalid UTF-8 sequence replaced by U+FFFD; `replaced` counts them. Throws
// airlock::Error when more than a tenth of the text is invalid: that is another encoding or binary,
// and indexing replacement characters would help no one.
std::string valid_utf8(std::string_view bytes, size_t& replaced);

// Runs of whitespace become one space; leading and trailing whitespace goes.
std::string collapse_spaces(std::string_view s);

}  // namespace airlock::rag
