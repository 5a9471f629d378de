#include "store/modelfile.h"

#include <airlock/error.h>

#include <cctype>
#include <charconv>
#include <cmath>

#include "common/json_field.h"

namespace airlock::store {
using nlohmann::json;

namespace {

class Cursor {
 public:
  Cursor(std::string_view text, std::string_view origin) : t_(text), origin_(origin) {}

  bool at_end() const { return i_ >= t_.size(); }
  int line() const { return line_; }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(std::string(origin_) + ":" + std::to_string(line_) + ": " + what);
  }

  // Skips blank lines and comment lines.
  void skip_blank_lines() {
    while (!at_end()) {
      char c = t_[i_];
      if (c == '\n') ++line_, ++i_;
      else if (c == ' ' || c == '\t' || c == '\r') ++i_;
      else if (c == '#') {
        while (!at_end() && t_[i_] != '\n') ++i_;
      } else break;
    }
  }
  void skip_spaces() {
    while (!at_end() && (t_[i_] == ' ' || t_[i_] == '\t')) ++i_;
  }
  std::string word() {
    skip_spaces();
    size_t s = i_;
    while (!at_end() && !std::isspace(static_cast<unsigned char>(t_[i_]))) ++i_;
    return std::string(t_.substr(s, i_ - s));
  }
  // A bare, "quoted" or """triple-quoted""" value; then the line must end.
  std::string value() {
    skip_spaces();
    std::string v;
    if (t_.substr(i_, 3) == "\"\"\"") {
      size_t end = t_.find("\"\"\"", i_ + 3);
      if (end == std::string_view::npos) fail("unterminated \"\"\" value");
      v = std::string(t_.substr(i_ + 3, end - i_ - 3));
      for (char c : v) line_ += c == '\n';
      i_ = end + 3;
    } else if (!at_end() && t_[i_] == '"') {
      ++i_;
      for (;;) {
        if (at_end() || t_[i_] == '\n') fail("unterminated \" value");
        char c = t_[i_++];
        if (c == '"') break;
        if (c == '\\' && !at_end() && (t_[i_] == '"' || t_[i_] == '\\')) c = t_[i_++];
        v += c;
      }
    } else {
      size_t s = i_;
      while (!at_end() && t_[i_] != '\n') ++i_;
      v = std::string(t_.substr(s, i_ - s));
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
      return v;
    }
    skip_spaces();
    if (!at_end() && t_[i_] == '\r') ++i_;
    if (!at_end() && t_[i_] != '\n') fail("unexpected text after the closing quote");
    return v;
  }

 private:
  std::string_view t_;
  std::string_view origin_;
  size_t i_ = 0;
  int line_ = 1;
};

json parameter_value(const std::string& v) {
  if (v == "true") return true;
  if (v == "false") return false;
  int64_t i = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
  if (ec == std::errc() && p == v.data() + v.size() && !v.empty()) return i;
  double d = 0;
  auto [p2, ec2] = std::from_chars(v.data(), v.data() + v.size(), d);
  // "nan" and "inf" stay text: JSON has no such numbers (they would come back as null).
  if (ec2 == std::errc() && p2 == v.data() + v.size() && !v.empty() && std::isfinite(d)) return d;
  return v;
}

// One line: "..." with \" and \\ escaped; several lines: """...""" (which cannot escape).
std::string quote(const std::string& s) {
  if (s.find('\n') != std::string::npos) return "\"\"\"" + s + "\"\"\"";
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// FROM is written bare, as people write it, unless parsing it bare would change it.
std::string from_value(const std::string& s) {
  const bool bare = !s.empty() && s[0] != '"' && !std::isspace(static_cast<unsigned char>(s.front())) &&
                    !std::isspace(static_cast<unsigned char>(s.back())) && s.find('\n') == std::string::npos;
  return bare ? s : quote(s);
}

}  // namespace

Modelfile Modelfile::parse(std::string_view text, std::string_view origin) {
  Modelfile m;
  Cursor c(text, origin);
  for (;;) {
    c.skip_blank_lines();
    if (c.at_end()) break;
    std::string ins = c.word();
    for (auto& ch : ins) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (ins == "FROM") {
      m.from = c.value();
      if (m.from.empty()) c.fail("FROM needs a GGUF path or a model name");
    } else if (ins == "PARAMETER") {
      std::string key = c.word();
      if (key.empty()) c.fail("PARAMETER needs a name and a value");
      std::string v = c.value();
      if (key == "stop") {
        m.parameters["stop"].push_back(v);
      } else {
        m.parameters[key] = parameter_value(v);
      }
    } else if (ins == "TEMPLATE") {
      m.template_text = c.value();
    } else if (ins == "SYSTEM") {
      m.system = c.value();
    } else if (ins == "LICENSE") {
      m.license = c.value();
    } else if (ins == "MESSAGE") {
      std::string role = c.word();
      if (role != "system" && role != "user" && role != "assistant")
        c.fail("MESSAGE role must be system, user or assistant, not '" + role + "'");
      m.messages.push_back({{"role", role}, {"content", c.value()}});
    } else if (ins == "ADAPTER") {
      c.fail("ADAPTER is not supported yet");
    } else {
      c.fail("unknown instruction '" + ins + "'");
    }
  }
  if (m.from.empty()) throw Error(std::string(origin) + ": no FROM instruction");
  return m;
}

std::string Modelfile::render() const {
  std::string out = "FROM " + from_value(from) + "\n";
  if (template_text) out += "TEMPLATE " + quote(*template_text) + "\n";
  if (system) out += "SYSTEM " + quote(*system) + "\n";
  for (const auto& [k, v] : parameters.items()) {
    if (v.is_array()) {
      for (const auto& x : v) out += "PARAMETER " + k + " " + (x.is_string() ? quote(x.get<std::string>()) : x.dump()) + "\n";
    } else {
      out += "PARAMETER " + k + " " + (v.is_string() ? quote(v.get<std::string>()) : v.dump()) + "\n";
    }
  }
  for (const auto& msg : messages)
    out += "MESSAGE " + json_string_or(msg, "role", "user") + " " + quote(json_string_or(msg, "content")) + "\n";
  if (license) out += "LICENSE " + quote(*license) + "\n";
  return out;
}

}  // namespace airlock::store
