// Ingestion: files and folders (recursively) into a collection, incrementally. A file whose bytes
// hash as stored is skipped; a changed one is replaced; with `prune`, documents under the given
// paths whose files are gone are removed. A file that cannot be read or parsed is reported and
// skipped; the rest go on.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rag/collection.h"
#include "rag/embedder.h"
#include "rag/parsers.h"

namespace airlock::rag {

struct IngestProgress {
  size_t files_done = 0, files_total = 0;
  size_t chunks = 0;
  double seconds = 0;
  std::string current;  // the file being worked on
};

struct IngestOptions {
  bool prune = false;
  uint64_t max_file_bytes = 64ull << 20;
  ParseLimits limits;
  // When set (canonical), a file whose real path lies outside this folder is skipped as a failure:
  // a symlink inside an allowed folder must not lead a remote client out of it.
  std::filesystem::path root;
  std::function<void(const IngestProgress&)> progress;  // after each file
};

struct IngestFailure {
  std::string path;
  std::string reason;
};

struct IngestReport {
  size_t files = 0, added = 0, updated = 0, unchanged = 0, removed = 0, unsupported = 0;
  size_t chunks = 0;          // chunks written
  double seconds = 0;
  double embed_seconds = 0;   // of which embedding
  std::vector<IngestFailure> failures;
  double chunks_per_second() const { return embed_seconds > 0 ? static_cast<double>(chunks) / embed_seconds : 0; }
};

// The counts and failures as JSON, for the event log and HTTP answers.
nlohmann::json report_json(const IngestReport& r);

IngestReport ingest_paths(Collection& c, Embedder& e, const std::vector<std::filesystem::path>& paths,
                          const IngestOptions& opts);

// One document given as bytes (an HTTP upload) under the name `doc_path`; the format comes from
// its name. The report counts it as added, updated, unchanged or failed.
IngestReport ingest_bytes(Collection& c, Embedder& e, const std::string& doc_path, std::string_view bytes,
                          int64_t mtime, const IngestOptions& opts);

}  // namespace airlock::rag
