#include "server/duration.h"

#include <airlock/error.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace airlock::server {

namespace {

// Milliseconds per unit of Go's time.ParseDuration (units below 1 ms round to 0).
double unit_ms(std::string_view unit) {
  if (unit == "h") return 3600e3;
  if (unit == "m") return 60e3;
  if (unit == "s") return 1e3;
  if (unit == "ms") return 1;
  if (unit == "us" || unit == "µs") return 1e-3;
  if (unit == "ns") return 1e-6;
  return -1;
}

KeepAlive from_seconds(double s, std::string_view text) {
  if (!std::isfinite(s) || std::fabs(s) > 1e12) throw Error("keep_alive: '" + std::string(text) + "' is out of range");
  if (s < 0) return kKeepForever;
  return KeepAlive(static_cast<int64_t>(std::llround(s * 1000)));
}

}  // namespace

KeepAlive parse_duration(std::string_view text) {
  const std::string orig(text);
  if (text.empty()) throw Error("keep_alive: empty duration");
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  // A bare number is seconds.
  double bare = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), bare);
  if (ec == std::errc() && p == text.data() + text.size()) return from_seconds(negative ? -bare : bare, orig);

  double total_ms = 0;
  while (!text.empty()) {
    double v = 0;
    auto [q, ec2] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec2 != std::errc()) throw Error("keep_alive: '" + orig + "' is not a duration (e.g. 5m, 30s, 1h)");
    text.remove_prefix(static_cast<size_t>(q - text.data()));
    size_t n = 0;
    while (n < text.size() && !std::isdigit(static_cast<unsigned char>(text[n])) && text[n] != '.') ++n;
    const double u = unit_ms(text.substr(0, n));
    if (u < 0) throw Error("keep_alive: '" + orig + "' has an unknown unit (use h, m, s, ms)");
    total_ms += v * u;
    text.remove_prefix(n);
  }
  return from_seconds((negative ? -total_ms : total_ms) / 1000, orig);
}

std::optional<KeepAlive> parse_keep_alive(const nlohmann::json& value) {
  if (value.is_null()) return std::nullopt;
  if (value.is_number()) return from_seconds(value.get<double>(), value.dump());
  if (value.is_string()) return parse_duration(value.get<std::string>());
  throw Error("keep_alive: expected a duration string or a number of seconds");
}

}  // namespace airlock::server
