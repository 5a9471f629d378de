// A thin RAII layer over SQLite: every failure becomes an airlock::Error naming the database.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace airlock::rag {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql, const std::string& where);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, int64_t v);
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view v);
  Statement& bind_blob(int i, std::span<const float> v);
  // True while there is a row to read; throws on an error.
  bool step();
  void run() { while (step()) {} }
  void reset();

  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  double f64(int col) const { return sqlite3_column_double(s_, col); }
  std::string text(int col) const;
  // Valid until the next step() or reset().
  std::string_view text_view(int col) const;
  std::span<const float> floats(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  const std::string& where_;
};

class Database {
 public:
  // Opens (creating when `create`) in WAL mode: readers never block the writer, and a process
  // killed mid-transaction leaves the last committed state.
  Database(const std::filesystem::path& path, bool create);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const char* sql);
  Statement prepare(std::string_view sql) { return Statement(db_, sql, where_); }
  int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  std::filesystem::path path_;
  std::string where_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) try { db_.exec("ROLLBACK"); } catch (...) {}
  }
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace airlock::rag
