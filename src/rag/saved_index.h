// Files derived from a collection (the HNSW graph, the term index) are saved beside its database
// with a JSON companion FILE.json that names the collection generation they were made from, their
// byte size and a checksum. The companion is written last, so a crash mid-save, a truncated copy
// or a damaged file never passes for a good one: the reader rebuilds from SQLite instead.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

namespace airlock::rag {

// FNV-1a over the whole file, and its size.
uint64_t file_checksum(const std::filesystem::path& p, uint64_t& size);

// A fresh temporary name beside `file` to write to before commit_saved.
std::filesystem::path temp_beside(const std::filesystem::path& file);

// Renames `tmp` to `file`, then writes `meta` plus size and checksum as FILE.json (atomically).
// Throws on failure (e.g. a read-only mount); callers that only cache ignore that.
void commit_saved(const std::filesystem::path& tmp, const std::filesystem::path& file, nlohmann::json meta);

// FILE.json when it parses and FILE's size and checksum match it; nothing otherwise.
std::optional<nlohmann::json> read_saved_meta(const std::filesystem::path& file);

}  // namespace airlock::rag
