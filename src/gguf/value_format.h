// Human-readable and JSON renderings of metadata values, abbreviated so that a 150k-entry
// vocabulary or a 10 KB chat template stays one readable line (for `airlock inspect` and the
// model-info parts of the HTTP API).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "gguf/value.h"

namespace airlock::gguf {

struct FormatLimits {
  size_t max_items = 8;     // array items shown before "... (N items)"
  size_t max_string = 120;  // bytes of a string shown before it is cut
};

// "uint32", "string", "array[string]", "array[array]".
std::string type_label(const Value& v);

// One line: numbers as written, strings quoted and escaped as by escape_text, arrays as
// [a, b, c, ... (N items)].
std::string format_value(const Value& v, const FormatLimits& limits = {});

// JSON: numbers and bools as such, strings cut to max_string (invalid UTF-8 replaced when dumped
// by the caller), arrays as their first max_items items.
nlohmann::json value_to_json(const Value& v, const FormatLimits& limits = {});

// `s` made safe to print on a terminal: valid UTF-8 text is kept, while control characters (C0,
// DEL and C1), bytes that are not UTF-8, and backslash are escaped (\n, \x1b, \u009b, \\), so a
// hostile file cannot move the cursor, recolour or retitle the terminal, or forge output lines.
std::string escape_text(std::string_view s);

// The first `max_bytes` of s, shortened further so as not to end inside a UTF-8 sequence.
std::string_view cut_utf8(std::string_view s, size_t max_bytes);

}  // namespace airlock::gguf
