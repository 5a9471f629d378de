// A store command that fails leaves every tag and the history as they were, wherever it fails:
// while recording the history (before the tag moves), at the history commit (after the tag moved,
// so the move is undone), or anywhere on a disk that is full.
#include <airlock/error.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

#include "store/bundle.h"
#include "store/history.h"
#include "store/store.h"
#include "support/error_of.h"
#include "unit/store/store_testing.h"

using namespace airlock;
using namespace airlock::store;
using namespace airlock::store_testing;
using airlock::testing::error_of;
namespace fs = std::filesystem;

namespace {
const char* const kNames[] = {"m", "m2", "a", "b", "c"};

// Every file under manifests/ (hidden temp files included) with its hash, and every history row
// of the names the tests use.
std::string state_of(const Store& s) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(s.dir() / "manifests", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file()) files[fs::relative(it->path(), s.dir()).string()] = reference_sha256(slurp(it->path()));
  std::string out;
  for (const auto& [path, digest] : files) out += path + " " + digest + "\n";
  for (const char* n : kNames)
    for (const auto& h : s.history(n)) out += "history " + h.name + " " + h.action + " " + h.digest + " " + h.source + "\n";
  return out;
}

// The history agrees with the tags: each tag's last row sets its current digest, and a name whose
// last row removed it has no tag.
void expect_consistent(const Store& s) {
  for (const char* n : kNames) {
    auto rows = s.history(n);
    auto digest = s.manifest_digest(ModelRef::parse(n));
    if (rows.empty()) continue;
    if (digest) {
      EXPECT_EQ(rows.back().action, "set") << n;
      EXPECT_EQ(rows.back().digest, *digest) << n;
    } else {
      EXPECT_EQ(rows.back().action, "remove") << n;
    }
  }
}

class FailedWrites : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"v1", "v2", "v3"}) write_gguf(d / (std::string(v) + ".gguf"), v, 256);
  }
  // m at v1 then v2 (so it has something to roll back to).
  void fill_store(Store& s) {
    s.import_gguf(d / "v1.gguf", "m", {"import v1", nullptr, nullptr});
    s.import_gguf(d / "v2.gguf", "m", {"import v2", nullptr, nullptr});
  }
  // Each store write, by the name a failure message is reported under.
  std::vector<std::pair<std::string, std::function<void()>>> writes(Store& s) {
    return {
        {"import", [&] { s.import_gguf(d / "v3.gguf", "m", {"import v3", nullptr, nullptr}); }},
        {"create", [&] { s.create("m", Modelfile::parse("FROM v3.gguf\nSYSTEM Be brief.\n", "mf"), d.path(), {}); }},
        {"cp", [&] { s.copy("m", "m2"); }},
        {"rm", [&] { s.remove("m"); }},
        {"rollback", [&] { s.rollback("m", std::nullopt); }},
    };
  }
  TempDir d;
};

// A trigger that refuses every new history row: the first write of each command fails.
void refuse_history_rows(const fs::path& db, bool refuse) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  const char* sql = refuse ? "CREATE TRIGGER refuse_rows BEFORE INSERT ON history "
                             "BEGIN SELECT RAISE(ABORT, 'history refused by the test'); END"
                           : "DROP TRIGGER refuse_rows";
  EXPECT_EQ(sqlite3_exec(h, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  sqlite3_close(h);
}
}  // namespace

TEST_F(FailedWrites, HistoryThatCannotBeRecordedMovesNoTag) {
  Store s(d / "store");
  fill_store(s);
  refuse_history_rows(d / "store/history.db", true);
  const std::string before = state_of(s);
  for (auto& [what, write] : writes(s)) {
    SCOPED_TRACE(what);
    EXPECT_NE(error_of(write).find("history refused by the test"), std::string::npos);
    EXPECT_EQ(state_of(s), before);
  }
  refuse_history_rows(d / "store/history.db", false);
  for (auto& [what, write] : writes(s)) {
    SCOPED_TRACE(what);
    EXPECT_NO_THROW(write());
    expect_consistent(s);
  }
}

namespace {
// Runs `write` in a child process that may not write at or past byte `limit` of any file
// (RLIMIT_FSIZE): the staged manifests (a few hundred bytes) fit, SQLite's WAL frames (4 KB) do
// not. So the history commit, the last step, fails after the tag has moved. Returns the child's
// error message, "" when the write succeeded.
std::string with_file_size_limit(rlim_t limit, const std::function<void()>& write) {
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(out[0]);
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit rl{limit, limit};
    ::setrlimit(RLIMIT_FSIZE, &rl);
    std::string msg = error_of(write);
    if (::write(out[1], msg.data(), msg.size()) < 0) ::_exit(2);
    ::_exit(0);
  }
  ::close(out[1]);
  std::string msg;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return msg;
}

// Another process with the history open for as long as this object lives, as a running server
// would: SQLite then keeps the WAL and its shared-memory file, so a writer with a small file size
// limit gets as far as the commit.
class HistoryHeldOpen {
 public:
  explicit HistoryHeldOpen(const fs::path& db) {
    int ready[2];
    if (::pipe(ready) != 0 || ::pipe(release_) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(release_[1]);
      History h(db);
      h.list("m");
      char c = 1;
      if (::write(ready[1], &c, 1) < 0) ::_exit(1);
      while (::read(release_[0], &c, 1) > 0) {
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(release_[0]);
    char c;
    if (::read(ready[0], &c, 1) != 1) throw std::runtime_error("history holder did not start");
    ::close(ready[0]);
  }
  ~HistoryHeldOpen() {
    ::close(release_[1]);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  int release_[2] = {-1, -1};
  pid_t pid_ = -1;
};
}  // namespace

TEST_F(FailedWrites, HistoryCommitFailingAfterTheMovePutsTheTagBack) {
  Store s(d / "store");
  fill_store(s);
  s.import_gguf(d / "v3.gguf", "v3", {});
  // A bundle of two models whose tags then move elsewhere: re-importing it moves both back.
  s.copy("m", "a");
  s.copy("v3", "b");
  export_bundle(s, {"a", "b"}, d / "ab.tar", nullptr, nullptr);
  s.copy("v3", "a");
  s.copy("m", "b");
  HistoryHeldOpen holder(d / "store/history.db");
  const std::string before = state_of(s);
  std::vector<std::pair<std::string, std::function<void()>>> cases = {
      {"cp to a new tag", [&] { s.copy("m", "m2"); }},
      {"cp over a tag", [&] { s.copy("v3", "m"); }},
      {"rollback", [&] { s.rollback("m", std::nullopt); }},
      {"rm", [&] { s.remove("m"); }},
      {"bundle import", [&] { import_bundle(s, d / "ab.tar", {}); }},
  };
  for (auto& [what, write] : cases) {
    SCOPED_TRACE(what);
    EXPECT_NE(with_file_size_limit(2048, write).find("history.db: cannot record history: "), std::string::npos);
    EXPECT_EQ(state_of(s), before);
  }
  for (auto& [what, write] : cases) {
    SCOPED_TRACE(what);
    EXPECT_EQ(with_file_size_limit(RLIM_INFINITY, write), "");
    expect_consistent(s);
  }
}

namespace {
// A small tmpfs mounted for one test (tests run as root; elsewhere the test is skipped).
class SmallTmpfs {
 public:
  explicit SmallTmpfs(fs::path at) : at_(std::move(at)) {
    fs::create_directories(at_);
    if (::mount("tmpfs", at_.c_str(), "tmpfs", 0, "size=4m") == 0) mounted_ = true;
    else error_ = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(at_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

  // Fills the file system with `filler`, then frees `spare` bytes of it.
  void fill(size_t spare) {
    int fd = ::open((at_ / "filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    std::string page(4096, 'x');
    off_t size = 0;
    while (::write(fd, page.data(), page.size()) == static_cast<ssize_t>(page.size())) size += 4096;
    ASSERT_EQ(errno, ENOSPC);
    ASSERT_EQ(::ftruncate(fd, size - std::min<off_t>(size, static_cast<off_t>(spare))), 0);
    ::close(fd);
  }
  void unfill() { fs::remove(at_ / "filler"); }

 private:
  fs::path at_;
  bool mounted_ = false;
  std::string error_;
};
}  // namespace

// On a full disk each write fails saying so and changes nothing, or succeeds completely; with a
// little space left (a page or a few), it may fail at any step in between.
TEST_F(FailedWrites, FullDiskOnATmpfs) {
  SmallTmpfs disk(d / "mnt");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error() << "); needs root";
  for (size_t spare = 0; spare <= 65536; spare += 4096) {
    for (size_t k = 0;; ++k) {
      fs::remove_all(d / "mnt/store");
      Store s(d / "mnt/store");
      fill_store(s);
      auto ws = writes(s);
      if (k == ws.size()) break;
      SCOPED_TRACE(ws[k].first + " with " + std::to_string(spare) + " bytes free");
      const std::string before = state_of(s);
      disk.fill(spare);
      const std::string msg = error_of(ws[k].second);
      std::string history_msg = error_of([&] { s.history("m"); });
      disk.unfill();
      if (!msg.empty()) {
        EXPECT_NE(msg.find("disk full"), std::string::npos) << msg;
        EXPECT_EQ(state_of(s), before);
      }
      if (!history_msg.empty()) {
        EXPECT_NE(history_msg.find("disk full"), std::string::npos) << history_msg;
      }
      expect_consistent(s);
    }
  }
}
