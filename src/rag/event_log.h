// Every ingest and query leaves one JSON line in the collection's events.jsonl (appended with one
// write, so concurrent writers never interleave lines).
#pragma once
#include <filesystem>

#include <nlohmann/json.hpp>

namespace airlock::rag {

// Adds "time" (RFC 3339 UTC) and appends; a failure to log never fails the operation.
void log_event(const std::filesystem::path& collection_dir, nlohmann::json event);

}  // namespace airlock::rag
