// keep_alive values as clients send them: a Go duration string ("5m", "1h30m", "300ms", "-1s"),
// a number of seconds, 0 (unload at once) or negative (keep forever).
#pragma once
#include <chrono>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace airlock::server {

// Negative means forever.
using KeepAlive = std::chrono::milliseconds;
inline constexpr KeepAlive kKeepForever{-1};

// Throws airlock::Error "keep_alive: ..." for text that is not a duration.
KeepAlive parse_duration(std::string_view text);
// A JSON number (seconds) or string; nullopt when the field is absent or null.
std::optional<KeepAlive> parse_keep_alive(const nlohmann::json& value);

}  // namespace airlock::server
