// Reading one field of a JSON object that came from outside (a bundle index, an audit record, a
// manifest): nlohmann's value() throws type_error when the field holds another type, which in a
// reader of hostile files is a crash waiting for an attacker. These return the fallback instead,
// so a caller checks the value it got, not the type it hoped for.
#pragma once
#include <airlock/error.h>

#include <nlohmann/json.hpp>
#include <string>

namespace airlock {

// The string at `key`, or `fallback` when `j` is not an object, lacks `key` or holds a non-string.
inline std::string json_string_or(const nlohmann::json& j, const char* key, std::string fallback = {}) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// The non-negative integer at `key`, or `fallback` when missing, negative, fractional or not a number.
inline uint64_t json_uint_or(const nlohmann::json& j, const char* key, uint64_t fallback = 0) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return fallback;  // parsed text gives unsigned; built values signed
  return it->is_number_unsigned() || it->get<int64_t>() >= 0 ? it->get<uint64_t>() : fallback;
}

// The string at `key` of a request object; anything else throws airlock::Error("<where>.<key>:
// expected a string"). For fields a request must carry (nlohmann::json or ordered_json).
template <class Json>
std::string json_required_string(const Json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) throw Error(where + "." + key + ": expected a string");
  return it->template get<std::string>();
}

}  // namespace airlock
