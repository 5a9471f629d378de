#include "gguf/value_format.h"

#include <charconv>
#include <cstdint>
#include <cstdio>

namespace airlock::gguf {

namespace {

std::string shortest(double f, bool single) {
  char buf[64];
  auto r = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(f)) : std::to_chars(buf, buf + sizeof buf, f);
  return std::string(buf, r.ptr);
}

// The length of the well-formed UTF-8 sequence at s[i] (1 to 4), or 0 when the bytes there are
// not one: a stray continuation byte, a truncated or overlong sequence, a surrogate, > U+10FFFF.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (lead >= 0xC2 && lead <= 0xDF) n = 2, cp = lead & 0x1Fu;
  else if (lead >= 0xE0 && lead <= 0xEF) n = 3, cp = lead & 0x0Fu;
  else if (lead >= 0xF0 && lead <= 0xF4) n = 4, cp = lead & 0x07u;
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void append_hex(std::string& out, const char* format, unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, format, value);
  out += buf;
}

// escape_text's work, with `"` escaped too inside quotes.
void append_escaped(std::string& out, std::string_view s, bool in_quotes) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      append_hex(out, "\\x%02x", c);
      ++i;
      continue;
    }
    if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
      append_hex(out, "\\u%04x", static_cast<unsigned char>(s[i + 1]));  // C1 control, e.g. CSI
    } else if (n > 1) {
      out.append(s.substr(i, n));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '"' && in_quotes) {
      out += "\\\"";
    } else if (c < 0x20 || c == 0x7f) {
      append_hex(out, "\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
    i += n;
  }
}

std::string quoted(std::string_view s, size_t max_bytes) {
  const std::string_view shown = cut_utf8(s, max_bytes);
  std::string out = "\"";
  append_escaped(out, shown, true);
  out += "\"";
  if (shown.size() < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace

std::string escape_text(std::string_view s) {
  std::string out;
  append_escaped(out, s, false);
  return out;
}

std::string_view cut_utf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the sequence that was cut.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string type_label(const Value& v) {
  if (v.type != ValueType::ARRAY) return value_type_name(v.type);
  return std::string("array[") + value_type_name(v.arr.elem_type()) + "]";
}

std::string format_value(const Value& v, const FormatLimits& limits) {
  switch (v.type) {
    case ValueType::STRING: return quoted(v.s, limits.max_string);
    case ValueType::BOOL: return v.u ? "true" : "false";
    case ValueType::FLOAT32: return shortest(v.f, true);
    case ValueType::FLOAT64: return shortest(v.f, false);
    case ValueType::ARRAY: {
      const Array& a = v.arr;
      std::string out = "[";
      const size_t shown = std::min(a.size(), limits.max_items);
      for (size_t k = 0; k < shown; ++k) {
        if (k) out += ", ";
        out += a.elem_type() == ValueType::ARRAY ? format_value(a.array_at(k), limits) : format_value(a[k], limits);
      }
      if (shown < a.size()) out += ", ... (" + std::to_string(a.size()) + " items)";
      return out + "]";
    }
    default:
      return v.is_integer() && (v.type == ValueType::INT8 || v.type == ValueType::INT16 || v.type == ValueType::INT32 ||
                                v.type == ValueType::INT64)
                 ? std::to_string(v.i)
                 : std::to_string(v.u);
  }
}

nlohmann::json value_to_json(const Value& v, const FormatLimits& limits) {
  switch (v.type) {
    case ValueType::STRING: return std::string(cut_utf8(v.s, limits.max_string));
    case ValueType::BOOL: return v.u != 0;
    case ValueType::FLOAT32: return static_cast<float>(v.f);
    case ValueType::FLOAT64: return v.f;
    case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64: return v.i;
    case ValueType::ARRAY: {
      nlohmann::json out = nlohmann::json::array();
      const Array& a = v.arr;
      for (size_t k = 0; k < std::min(a.size(), limits.max_items); ++k)
        out.push_back(a.elem_type() == ValueType::ARRAY ? value_to_json(a.array_at(k), limits)
                                                        : value_to_json(a[k], limits));
      return out;
    }
    default: return v.u;
  }
}

}  // namespace airlock::gguf
