#include "schema_validator.h"

#include <cmath>
#include <regex>

namespace airlock::grammar::testing {
namespace {

using nlohmann::json;

std::wstring widen(const std::string& s) {
  std::wstring out;
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    int n = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
    uint32_t cp = n == 0 ? b : b & (0x3F >> n);
    for (int k = 1; k <= n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += static_cast<wchar_t>(cp);
    i += n + 1;
  }
  return out;
}

bool all_digits(const std::string& s, size_t from, size_t n) {
  if (from + n > s.size()) return false;
  for (size_t i = from; i < from + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int number_at(const std::string& s, size_t from, size_t n) { return std::stoi(s.substr(from, n)); }

bool valid_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s, 0, 4) || !all_digits(s, 5, 2) || !all_digits(s, 8, 2))
    return false;
  int y = number_at(s, 0, 4), m = number_at(s, 5, 2), d = number_at(s, 8, 2);
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool valid_time(const std::string& s) {
  if (s.size() < 9 || s[2] != ':' || s[5] != ':' || !all_digits(s, 0, 2) || !all_digits(s, 3, 2) || !all_digits(s, 6, 2))
    return false;
  if (number_at(s, 0, 2) > 23 || number_at(s, 3, 2) > 59 || number_at(s, 6, 2) > 60) return false;
  size_t i = 8;
  if (s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i + 1) return false;
    i = j;
  }
  if (i == s.size()) return false;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  return s.size() == i + 6 && s[i + 3] == ':' && all_digits(s, i + 1, 2) && all_digits(s, i + 4, 2) &&
         number_at(s, i + 1, 2) <= 23 && number_at(s, i + 4, 2) <= 59;
}

bool valid_email(const std::string& s) {
  size_t at = s.find('@');
  if (at == std::string::npos || at == 0 || s.find('@', at + 1) != std::string::npos) return false;
  std::string local = s.substr(0, at), domain = s.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos) return false;
  for (char c : local)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("._%+-").find(c) == std::string::npos) return false;
  size_t dot = domain.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;
  std::string tld = domain.substr(dot + 1);
  if (tld.size() < 2) return false;
  for (char c : tld)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  size_t start = 0;
  while (start < dot) {  // labels: alphanumerics and inner hyphens, non-empty
    size_t end = domain.find('.', start);
    std::string label = domain.substr(start, end - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    start = end + 1;
  }
  return true;
}

bool valid_format(const std::string& format, const std::string& s) {
  if (format == "date") return valid_date(s);
  if (format == "time") return valid_time(s);
  if (format == "date-time") {
    size_t t = s.find_first_of("Tt");
    return t == 10 && valid_date(s.substr(0, 10)) && valid_time(s.substr(11));
  }
  if (format == "uuid") {
    static const std::regex re("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    return std::regex_match(s, re);
  }
  if (format == "email") return valid_email(s);
  return false;
}

bool has_type(const json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  if (t == "number") return v.is_number();
  if (t == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  return false;
}

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  std::string check(const json& s, const json& v, const std::string& at) {
    if (s.is_boolean()) return s.get<bool>() ? "" : at + ": false schema";
    if (s.contains("nullable") && s["nullable"].get<bool>() && v.is_null()) return "";
    if (s.contains("$ref")) {
      std::string r = check(pointer(s["$ref"].get<std::string>()), v, at);
      if (!r.empty()) return r;
    }
    if (s.contains("const") && v != s["const"]) return at + ": not the const value";
    if (s.contains("enum")) {
      bool found = false;
      for (const auto& e : s["enum"]) found = found || e == v;
      if (!found) return at + ": not in enum";
    }
    if (s.contains("type")) {
      bool ok = false;
      if (s["type"].is_string()) ok = has_type(v, s["type"].get<std::string>());
      else
        for (const auto& t : s["type"]) ok = ok || has_type(v, t.get<std::string>());
      if (!ok) return at + ": wrong type";
    }
    if (s.contains("anyOf")) {
      bool ok = false;
      for (const auto& sub : s["anyOf"]) ok = ok || check(sub, v, at).empty();
      if (!ok) return at + ": matches no anyOf branch";
    }
    if (s.contains("oneOf")) {
      int n = 0;
      for (const auto& sub : s["oneOf"]) n += check(sub, v, at).empty() ? 1 : 0;
      if (n != 1) return at + ": matches " + std::to_string(n) + " oneOf branches";
    }
    if (s.contains("allOf"))
      for (const auto& sub : s["allOf"]) {
        std::string r = check(sub, v, at);
        if (!r.empty()) return r;
      }
    if (v.is_object()) return check_object(s, v, at);
    if (v.is_array()) return check_array(s, v, at);
    if (v.is_string()) return check_string(s, v.get<std::string>(), at);
    if (v.is_number()) return check_number(s, v.get<double>(), at);
    return "";
  }

 private:
  const json& pointer(const std::string& ref) {
    if (ref == "#") return root_;
    return root_.at(json::json_pointer(ref.substr(1)));
  }

  std::string check_object(const json& s, const json& v, const std::string& at) {
    if (s.contains("required"))
      for (const auto& r : s["required"])
        if (!v.contains(r.get<std::string>())) return at + ": missing " + r.get<std::string>();
    const json props = s.value("properties", json::object());
    for (const auto& [k, x] : v.items()) {
      std::string here = at + "/" + k;
      if (props.contains(k)) {
        std::string r = check(props[k], x, here);
        if (!r.empty()) return r;
      } else if (s.contains("additionalProperties")) {
        std::string r = check(s["additionalProperties"], x, here);
        if (!r.empty()) return r;
      }
    }
    return "";
  }

  std::string check_array(const json& s, const json& v, const std::string& at) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) return at + ": too few items";
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) return at + ": too many items";
    if (s.contains("items"))
      for (size_t i = 0; i < v.size(); ++i) {
        std::string r = check(s["items"], v[i], at + "/" + std::to_string(i));
        if (!r.empty()) return r;
      }
    return "";
  }

  std::string check_string(const json& s, const std::string& str, const std::string& at) {
    std::wstring w = widen(str);
    if (s.contains("minLength") && w.size() < s["minLength"].get<size_t>()) return at + ": too short";
    if (s.contains("maxLength") && w.size() > s["maxLength"].get<size_t>()) return at + ": too long";
    if (s.contains("pattern")) {
      std::wregex re(widen(s["pattern"].get<std::string>()), std::regex::ECMAScript);
      if (!std::regex_search(w, re)) return at + ": does not match pattern";
    }
    if (s.contains("format") && !valid_format(s["format"].get<std::string>(), str)) return at + ": bad " + s["format"].get<std::string>();
    return "";
  }

  std::string check_number(const json& s, double x, const std::string& at) {
    if (s.contains("minimum") && x < s["minimum"].get<double>()) return at + ": below minimum";
    if (s.contains("maximum") && x > s["maximum"].get<double>()) return at + ": above maximum";
    if (s.contains("exclusiveMinimum") && x <= s["exclusiveMinimum"].get<double>()) return at + ": not above exclusiveMinimum";
    if (s.contains("exclusiveMaximum") && x >= s["exclusiveMaximum"].get<double>()) return at + ": not below exclusiveMaximum";
    return "";
  }

  const json& root_;
};

}  // namespace

std::string validate(const nlohmann::json& schema, const nlohmann::json& value) { return Validator(schema).check(schema, value, "#"); }

}  // namespace airlock::grammar::testing
