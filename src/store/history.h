// Every version a tag has pointed to, with time and source, in the store's history.db (SQLite,
// WAL mode, synchronous=FULL so a commit is on disk when it returns, busy timeout so concurrent
// writers wait rather than fail). The manifest text is kept so that a rollback can restore a
// version whose manifest file is gone. A full disk is reported as "disk full" (storage_error.h).
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

  // A write transaction (BEGIN IMMEDIATE): the rows added while it lives are recorded together by
  // commit(), or not at all when it ends without one. The store moves a tag between the adds and
  // the commit, and puts the tag back when the commit fails.
  class Transaction {
   public:
    explicit Transaction(History& h);
    ~Transaction();  // rolls back unless committed
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

   private:
    History& h_;
    bool open_ = true;
  };

  void add(const HistoryEntry& e);
  // Oldest first.
  std::vector<HistoryEntry> list(const std::string& name) const;

 private:
  // Runs `sql`; on failure throws error(what).
  void exec(const char* sql, const std::string& what) const;
  // The path, `what`, and SQLite's last error (a full disk named as such).
  std::string error(const std::string& what) const;
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace airlock::store
