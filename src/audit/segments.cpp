#include "audit/segments.h"

#include <cstdio>
#include <ctime>

namespace airlock::audit {

namespace fs = std::filesystem;

std::string segment_name(uint64_t number) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "audit-%06llu.jsonl", static_cast<unsigned long long>(number));
  return buf;
}

fs::path segment_path(const fs::path& dir, uint64_t number) { return dir / segment_name(number); }

Listing list_segments(const fs::path& dir) {
  Listing out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("audit-", 0) != 0) continue;
    std::string stem = name;
    if (stem.size() > 4 && stem.substr(stem.size() - 4) == ".sig") stem.resize(stem.size() - 4);
    unsigned long long n = 0;
    int used = 0;
    if (std::sscanf(stem.c_str(), "audit-%llu.jsonl%n", &n, &used) == 1 && static_cast<size_t>(used) == stem.size() &&
        n > 0 && segment_name(n) == stem) {
      if (stem == name) out.segments[n] = e.path();
    } else {
      out.strays.push_back(name);
    }
  }
  return out;
}

std::string signed_message(const std::string& segment, uint64_t last_seq, const std::string& last_hash) {
  return "airlock audit segment " + segment + " last-seq " + std::to_string(last_seq) + " last-hash " + last_hash + "\n";
}

std::string utc_time(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace airlock::audit
