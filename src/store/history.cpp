#include "store/history.h"

#include <airlock/error.h>
#include <sqlite3.h>

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
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw Error(db_path.string() + ": cannot open history database: " + msg);
  }
  sqlite3_busy_timeout(db_, 30000);
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT "
         "NULL, digest TEXT NOT NULL, manifest TEXT NOT NULL, time INTEGER NOT NULL, source TEXT "
         "NOT NULL, action TEXT NOT NULL)");
    exec("CREATE INDEX IF NOT EXISTS history_name ON history(name)");
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

History::~History() { sqlite3_close(db_); }

void History::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw Error(path_.string() + ": " + msg);
  }
}

void History::add(const HistoryEntry& e) {
  Stmt st;
  if (sqlite3_prepare_v2(db_,
                         "INSERT INTO history(name, digest, manifest, time, source, action) "
                         "VALUES(?,?,?,?,?,?)",
                         -1, &st.s, nullptr) != SQLITE_OK)
    throw Error(path_.string() + ": " + sqlite3_errmsg(db_));
  sqlite3_bind_text(st.s, 1, e.name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, e.digest.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 3, e.manifest.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 4, e.time);
  sqlite3_bind_text(st.s, 5, e.source.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 6, e.action.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE)
    throw Error(path_.string() + ": cannot record history: " + sqlite3_errmsg(db_));
}

std::vector<HistoryEntry> History::list(const std::string& name) const {
  Stmt st;
  if (sqlite3_prepare_v2(db_,
                         "SELECT id, name, digest, manifest, time, source, action FROM history "
                         "WHERE name = ? ORDER BY id",
                         -1, &st.s, nullptr) != SQLITE_OK)
    throw Error(path_.string() + ": " + sqlite3_errmsg(db_));
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
  if (rc != SQLITE_DONE) throw Error(path_.string() + ": " + sqlite3_errmsg(db_));
  return out;
}

}  // namespace airlock::store
