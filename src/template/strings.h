// Python str operations on UTF-8 strings, shared by filters and methods. Case mapping covers
// ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; other letters pass through unchanged.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace airlock::tmpl {

// str.strip/lstrip/rstrip: `chars` null means whitespace.
std::string py_strip(const std::string& s, const std::string* chars, bool left, bool right);
std::string str_upper(const std::string& s);
std::string str_lower(const std::string& s);
std::string py_capitalize(const std::string& s);
std::string py_title(const std::string& s);
// str.replace(old, new, count); count < 0 means all. Throws if the result would exceed max_bytes.
std::string py_replace(const std::string& s, const std::string& from, const std::string& to, int64_t count,
                       size_t max_bytes);
// str.split(sep, maxsplit): sep null splits on whitespace runs and drops empty parts.
std::vector<std::string> py_split(const std::string& s, const std::string* sep, int64_t maxsplit);
// str.splitlines() for \n, \r\n and \r.
std::vector<std::string> py_splitlines(const std::string& s);

}  // namespace airlock::tmpl
