// Small helpers the model-store commands share: the store location and human-readable figures.
#pragma once
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

#include "store/store.h"

namespace airlock::cli {

inline store::Store open_store() { return store::Store(store::Store::default_dir()); }

inline std::string human_bytes(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.1f GB", n / 1e9);
  else if (n >= 1000000ull) std::snprintf(buf, sizeof buf, "%.1f MB", n / 1e6);
  else if (n >= 1000ull) std::snprintf(buf, sizeof buf, "%.1f KB", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  return buf;
}

inline std::string utc_time(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// The first 12 hex digits, as `list` shows digests.
inline std::string short_digest(const std::string& d) { return d.size() > 19 ? d.substr(7, 12) : d; }

}  // namespace airlock::cli
