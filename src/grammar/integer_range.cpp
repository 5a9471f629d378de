#include "grammar/integer_range.h"

#include <algorithm>
#include <vector>

namespace airlock::grammar {
namespace {

constexpr int64_t kUnboundedMax = 9999999999999999;  // 16 digits
const char* kFraction = "( \".\" [0-9]{1,15} )";

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " | ") + p;
  return parts.size() > 1 ? "( " + out + " )" : out;
}

bool all_of(const std::string& s, size_t from, char c) {
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(from), s.end(), [c](char x) { return x == c; });
}

std::string digit_class(char a, char b) { return a == b ? std::string("\"") + a + "\"" : std::string("[") + a + "-" + b + "]"; }

std::string any_digits(size_t n) { return n == 0 ? "" : n == 1 ? " [0-9]" : " [0-9]{" + std::to_string(n) + "}"; }

// Digit strings of equal length n from x to y inclusive.
std::string same_length(const std::string& x, const std::string& y) {
  size_t n = x.size();
  if (x == y) return "\"" + x + "\"";
  if (x[0] == y[0]) return "\"" + std::string(1, x[0]) + "\" " + same_length(x.substr(1), y.substr(1));
  std::vector<std::string> parts;
  char low = x[0], high = y[0];
  if (!all_of(x, 1, '0')) {
    parts.push_back("\"" + std::string(1, x[0]) + "\" " + same_length(x.substr(1), std::string(n - 1, '9')));
    ++low;
  }
  std::string top;
  if (!all_of(y, 1, '9')) {
    top = "\"" + std::string(1, y[0]) + "\" " + same_length(std::string(n - 1, '0'), y.substr(1));
    --high;
  }
  if (low <= high) parts.push_back(digit_class(low, high) + any_digits(n - 1));
  if (!top.empty()) parts.push_back(top);
  return join(parts);
}

// Non-negative integers a..b (b >= a >= 0), without leading zeros.
std::string non_negative(int64_t a, int64_t b) {
  std::vector<std::string> parts;
  int64_t low_of_len = 0, high_of_len = 9;
  for (size_t len = 1; len <= 16; ++len) {
    int64_t lo = std::max(a, low_of_len), hi = std::min(b, high_of_len);
    if (lo <= hi) parts.push_back(same_length(std::to_string(lo), std::to_string(hi)));
    low_of_len = high_of_len + 1;
    high_of_len = high_of_len * 10 + 9;
  }
  return join(parts);
}

}  // namespace

std::string integer_range_gbnf(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<std::string> parts;
  // Negative values v <= min(hi, -1), as magnitudes.
  if (!lo || *lo < 0) {
    int64_t min_mag = hi && *hi < 0 ? -*hi : 1;
    int64_t max_mag = lo ? -*lo : kUnboundedMax;
    if (min_mag <= max_mag) parts.push_back("\"-\" " + non_negative(min_mag, max_mag));
  }
  if (!hi || *hi >= 0) {
    int64_t a = lo ? std::max<int64_t>(*lo, 0) : 0;
    int64_t b = hi ? *hi : kUnboundedMax;
    if (a <= b) parts.push_back(non_negative(a, b));
  }
  return join(parts);
}

std::string bounded_number_gbnf(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<std::string> parts;
  if (!hi || *hi >= 0) {
    int64_t a = lo ? std::max<int64_t>(*lo, 0) : 0;
    int64_t b = hi ? *hi : kUnboundedMax;
    if (a <= b) parts.push_back(non_negative(a, b));
    if (a <= b - 1) parts.push_back(non_negative(a, b - 1) + " " + kFraction);  // k.f < k + 1 <= b
  }
  if (!lo || *lo < 0) {
    int64_t min_mag = hi && *hi < 0 ? -*hi : 0;
    int64_t max_mag = lo ? -*lo : kUnboundedMax;
    if (std::max<int64_t>(min_mag, 1) <= max_mag) parts.push_back("\"-\" " + non_negative(std::max<int64_t>(min_mag, 1), max_mag));
    if (min_mag <= max_mag - 1) parts.push_back("\"-\" " + non_negative(min_mag, max_mag - 1) + " " + kFraction);
  }
  return join(parts);
}

}  // namespace airlock::grammar
