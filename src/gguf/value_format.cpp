#include "gguf/value_format.h"

#include <charconv>
#include <cstdio>

namespace airlock::gguf {

namespace {

std::string shortest(double f, bool single) {
  char buf[64];
  auto r = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(f)) : std::to_chars(buf, buf + sizeof buf, f);
  return std::string(buf, r.ptr);
}

std::string quoted(std::string_view s, size_t max_bytes) {
  const std::string_view shown = cut_utf8(s, max_bytes);
  std::string out = "\"";
  for (unsigned char c : shown) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  if (shown.size() < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace

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
