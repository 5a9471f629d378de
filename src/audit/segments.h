// The files of an audit folder: audit-000001.jsonl, audit-000002.jsonl, ... in write order, each
// with an optional Ed25519 signature of its last hash beside it (audit-000001.jsonl.sig).
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace airlock::audit {

std::string segment_name(uint64_t number);
std::filesystem::path segment_path(const std::filesystem::path& dir, uint64_t number);

struct Listing {
  std::map<uint64_t, std::filesystem::path> segments;  // by number
  std::vector<std::string> strays;  // audit-* names that are not a segment or signature (renamed?)
};
Listing list_segments(const std::filesystem::path& dir);

// The message a segment's signature covers.
std::string signed_message(const std::string& segment, uint64_t last_seq, const std::string& last_hash);

// "2026-12-06T07:17:24.123Z" (UTC, milliseconds): sortable as text.
std::string utc_time(std::chrono::system_clock::time_point t);

}  // namespace airlock::audit
