#include "rag/sqlite_db.h"

#include <airlock/error.h>

namespace airlock::rag {

Statement::Statement(sqlite3* db, std::string_view sql, const std::string& where) : db_(db), where_(where) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s_, nullptr) != SQLITE_OK)
    throw Error(where_ + ": " + sqlite3_errmsg(db));
}

Statement::~Statement() { sqlite3_finalize(s_); }

Statement& Statement::bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Statement& Statement::bind(int i, double v) {
  sqlite3_bind_double(s_, i, v);
  return *this;
}
Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Statement& Statement::bind_blob(int i, std::span<const float> v) {
  sqlite3_bind_blob64(s_, i, v.data(), v.size_bytes(), SQLITE_TRANSIENT);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Error(where_ + ": " + sqlite3_errmsg(db_));
}

void Statement::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::string Statement::text(int col) const {
  const unsigned char* t = sqlite3_column_text(s_, col);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}

std::string_view Statement::text_view(int col) const {
  const unsigned char* t = sqlite3_column_text(s_, col);
  return t ? std::string_view(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s_, col)))
           : std::string_view();
}

std::span<const float> Statement::floats(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  const size_t n = static_cast<size_t>(sqlite3_column_bytes(s_, col)) / sizeof(float);
  return {static_cast<const float*>(p), p ? n : 0};
}

Database::Database(const std::filesystem::path& path, bool create) : path_(path), where_(path.string()) {
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw Error(where_ + ": cannot open: " + msg);
  }
  sqlite3_busy_timeout(db_, 30000);
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw Error(where_ + ": " + msg);
  }
}

}  // namespace airlock::rag
