// Every version a tag has pointed to, with time and source, in the store's history.db (SQLite,
// WAL mode, busy timeout so concurrent writers wait rather than fail). The manifest text is kept
// so that a rollback can restore a version whose manifest file is gone.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace airlock::store {

struct HistoryEntry {
  int64_t id = 0;
  std::string name;      // full model reference
  std::string digest;    // manifest digest
  std::string manifest;  // manifest JSON
  int64_t time = 0;      // unix seconds
  std::string source;    // "import /path/x.gguf", "bundle b.tar", "rollback", ...
  std::string action;    // "set" or "remove"
};

class History {
 public:
  explicit History(const std::filesystem::path& db_path);
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  void add(const HistoryEntry& e);
  // Oldest first.
  std::vector<HistoryEntry> list(const std::string& name) const;

 private:
  void exec(const char* sql) const;
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace airlock::store
