#include "template/strings.h"

#include <airlock/error.h>

#include <cctype>

namespace airlock::tmpl {

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string py_strip(const std::string& s, const std::string* chars, bool left, bool right) {
  auto strip_char = [&](char c) { return chars ? chars->find(c) != std::string::npos : is_ws(c); };
  size_t b = 0, e = s.size();
  if (left)
    while (b < e && strip_char(s[b])) ++b;
  if (right)
    while (e > b && strip_char(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string ascii_upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string ascii_lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string py_title(const std::string& s) {
  std::string out = s;
  bool prev_cased = false;
  for (auto& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    bool alpha = std::isalpha(u);
    if (alpha) c = static_cast<char>(prev_cased ? std::tolower(u) : std::toupper(u));
    prev_cased = alpha;
  }
  return out;
}

std::string py_replace(const std::string& s, const std::string& from, const std::string& to, int64_t count,
                       size_t max_bytes) {
  std::string out;
  int64_t done = 0;
  if (from.empty()) {
    // Python inserts `to` before every character and at the end.
    for (size_t k = 0; k <= s.size(); ++k) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      if (k < s.size()) out += s[k];
      if (out.size() > max_bytes) throw Error("replace: result exceeds " + std::to_string(max_bytes) + " bytes");
    }
    return out;
  }
  size_t pos = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
    ++done;
    if (out.size() > max_bytes) throw Error("replace: result exceeds " + std::to_string(max_bytes) + " bytes");
  }
  out.append(s, pos, std::string::npos);
  if (out.size() > max_bytes) throw Error("replace: result exceeds " + std::to_string(max_bytes) + " bytes");
  return out;
}

std::vector<std::string> py_split(const std::string& s, const std::string* sep, int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    if (sep->empty()) throw Error("split: empty separator");
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      size_t hit = s.find(*sep, pos);
      if (hit == std::string::npos) break;
      out.push_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    out.push_back(s.substr(pos));
    return out;
  }
  size_t k = 0;
  while (true) {
    while (k < s.size() && is_ws(s[k])) ++k;
    if (k >= s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      size_t e = s.size();
      while (e > k && is_ws(s[e - 1])) --e;
      out.push_back(s.substr(k, e - k));
      break;
    }
    size_t b = k;
    while (k < s.size() && !is_ws(s[k])) ++k;
    out.push_back(s.substr(b, k - b));
  }
  return out;
}

std::vector<std::string> py_splitlines(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t k = 0; k < s.size(); ++k) {
    char c = s[k];
    if (c == '\n' || c == '\r') {
      if (c == '\r' && k + 1 < s.size() && s[k + 1] == '\n') ++k;
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace airlock::tmpl
