#include "store/history.h"

#include <airlock/error.h>
#include <sqlite3.h>

#include "store/storage_error.h"

namespace airlock::store {

namespace {
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};
}  // namespace

History::History(const std::filesystem::path& db_path) : path_(db_path) {
  if (sqlite3_open_v2(db_path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db_ ? error("cannot open history database") : path_.string() + ": out of memory";
    sqlite3_close(db_);
    throw Error(msg);
  }
  sqlite3_busy_timeout(db_, 30000);
  try {
    const std::string what = "cannot open history database";
    exec("PRAGMA journal_mode=WAL", what);
    exec("PRAGMA synchronous=FULL", what);
    exec("CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT "
         "NULL, digest TEXT NOT NULL, manifest TEXT NOT NULL, time INTEGER NOT NULL, source TEXT "
         "NOT NULL, action TEXT NOT NULL)",
         what);
    exec("CREATE INDEX IF NOT EXISTS history_name ON history(name)", what);
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

History::~History() { sqlite3_close(db_); }

std::string History::error(const std::string& what) const {
  return path_.string() + ": " + what + ": " +
         sqlite_error_text(sqlite3_extended_errcode(db_), sqlite3_system_errno(db_), sqlite3_errmsg(db_));
}

void History::exec(const char* sql, const std::string& what) const {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) throw Error(error(what), ErrorKind::Fault);
}

History::Transaction::Transaction(History& h) : h_(h) { h_.exec("BEGIN IMMEDIATE", "cannot record history"); }

History::Transaction::~Transaction() {
  // Nothing to report from a destructor: if even the rollback fails, SQLite drops the
  // uncommitted rows when the connection closes.
  if (open_) sqlite3_exec(h_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void History::Transaction::commit() {
  if (sqlite3_exec(h_.db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string msg = h_.error("cannot record history");
    // A failed COMMIT may leave the transaction open; end it so the rows are not kept.
    if (!sqlite3_get_autocommit(h_.db_)) sqlite3_exec(h_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    open_ = false;
    throw Error(msg);
  }
  open_ = false;
}

void History::add(const HistoryEntry& e) {
  Stmt st;
  if (sqlite3_prepare_v2(db_,
                         "INSERT INTO history(name, digest, manifest, time, source, action) "
                         "VALUES(?,?,?,?,?,?)",
                         -1, &st.s, nullptr) != SQLITE_OK)
    throw Error(error("cannot record history"), ErrorKind::Fault);
  sqlite3_bind_text(st.s, 1, e.name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, e.digest.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 3, e.manifest.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 4, e.time);
  sqlite3_bind_text(st.s, 5, e.source.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 6, e.action.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE)
    throw Error(error("cannot record history"), ErrorKind::Fault);
}

std::vector<HistoryEntry> History::list(const std::string& name) const {
  Stmt st;
  if (sqlite3_prepare_v2(db_,
                         "SELECT id, name, digest, manifest, time, source, action FROM history "
                         "WHERE name = ? ORDER BY id",
                         -1, &st.s, nullptr) != SQLITE_OK)
    throw Error(error("cannot read history"), ErrorKind::Fault);
  sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<HistoryEntry> out;
  auto text = [&](int col) {
    const unsigned char* t = sqlite3_column_text(st.s, col);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int64(st.s, 0), text(1), text(2), text(3),
                   sqlite3_column_int64(st.s, 4), text(5), text(6)});
  }
  if (rc != SQLITE_DONE) throw Error(error("cannot read history"), ErrorKind::Fault);
  return out;
}

}  // namespace airlock::store
