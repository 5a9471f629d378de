// Concurrent writers and a writer killed mid-copy leave a consistent store: every visible model
// verifies, the old version stays active, and leftovers are only temp files gc removes.
#include <airlock/error.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "unit/store/store_testing.h"

using namespace airlock;
using namespace airlock::store;
using namespace airlock::store_testing;
namespace fs = std::filesystem;

namespace {
// Runs `f` in a child process; returns its pid. The child exits 0 on success, 1 on an error.
pid_t spawn(const std::function<void()>& f) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 0;
    try {
      f();
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return st;
}
}  // namespace

TEST(StoreCrash, TwoConcurrentImportsLeaveAConsistentStore) {
  TempDir d;
  write_gguf(d / "x.gguf", "x", 8 << 20);  // 32 MB each
  write_gguf(d / "y.gguf", "y", 8 << 20);
  fs::path dir = d / "store";
  pid_t a = spawn([&] {
    Store s(dir);
    s.import_gguf(d / "x.gguf", "shared", {"x", nullptr, nullptr});
    s.import_gguf(d / "x.gguf", "only-x", {"x", nullptr, nullptr});
  });
  pid_t b = spawn([&] {
    Store s(dir);
    s.import_gguf(d / "y.gguf", "shared", {"y", nullptr, nullptr});
    s.import_gguf(d / "y.gguf", "only-y", {"y", nullptr, nullptr});
  });
  int sa = wait_status(a), sb = wait_status(b);
  ASSERT_TRUE(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
  ASSERT_TRUE(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);

  Store s(dir);
  EXPECT_EQ(s.list().size(), 3u);
  EXPECT_TRUE(s.verify(std::nullopt).ok());
  auto h = s.history("shared");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.back().digest, s.resolve("shared").digest);  // the last writer won, and is recorded last
  auto g = s.gc(true);
  EXPECT_TRUE(g.blobs.empty());
  EXPECT_TRUE(g.temp_files.empty());
}

TEST(StoreCrash, ImportKilledMidCopyKeepsOldVersionAndRetrySucceeds) {
  TempDir d;
  write_gguf(d / "old.gguf", "old", 1024);
  write_gguf(d / "big.gguf", "big", 50ull << 20, /*sparse=*/true);  // 200 MB
  fs::path dir = d / "store";
  std::string old_digest = Store(dir).import_gguf(d / "old.gguf", "m", {"old", nullptr, nullptr});

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = spawn([&] {
    ::close(fds[0]);
    bool told = false;
    WriteOptions opt{"big", [&](uint64_t done, uint64_t) {
                       if (told || done < (32u << 20)) return;
                       told = true;
                       char c = 1;
                       (void)!::write(fds[1], &c, 1);
                       ::pause();  // hold here, mid-copy, until killed
                     },
                     nullptr};
    Store(dir).import_gguf(d / "big.gguf", "m", opt);
  });
  ::close(fds[1]);
  char c = 0;
  ASSERT_EQ(::read(fds[0], &c, 1), 1) << "the child never reached the middle of the copy";
  ::close(fds[0]);
  ::kill(child, SIGKILL);
  int st = wait_status(child);
  ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

  Store s(dir);
  EXPECT_EQ(s.resolve("m").digest, old_digest);
  EXPECT_EQ(s.list().size(), 1u);
  EXPECT_TRUE(s.verify(std::nullopt).ok());
  EXPECT_EQ(s.history("m").size(), 1u);
  auto g = s.gc(true);
  EXPECT_TRUE(g.blobs.empty());
  ASSERT_EQ(g.temp_files.size(), 1u);  // the half-written blob, invisible to readers
  EXPECT_GE(fs::file_size(g.temp_files[0]), 32u << 20);

  std::string new_digest = s.import_gguf(d / "big.gguf", "m", {"retry", nullptr, nullptr});
  EXPECT_NE(new_digest, old_digest);
  EXPECT_TRUE(s.verify(std::string("m")).ok());
  s.gc(false);
  EXPECT_FALSE(fs::exists(g.temp_files[0]));
  EXPECT_EQ(s.rollback("m", std::nullopt), old_digest);
}
