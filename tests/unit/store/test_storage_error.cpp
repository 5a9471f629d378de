#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cerrno>
#include <cstring>

#include "store/storage_error.h"

using namespace airlock::store;

TEST(StorageError, FullDiskIsNamedWhicheverLayerHitIt) {
  EXPECT_EQ(errno_text(ENOSPC), kDiskFull);
  EXPECT_EQ(errno_text(EDQUOT), kDiskFull);
  EXPECT_EQ(errno_text(EACCES), std::strerror(EACCES));

  EXPECT_EQ(sqlite_error_text(SQLITE_FULL, 0, "database or disk is full"), kDiskFull);
  // The WAL or -shm file could not grow: SQLite says "disk I/O error", the OS said ENOSPC.
  EXPECT_EQ(sqlite_error_text(SQLITE_IOERR_WRITE, ENOSPC, "disk I/O error"), kDiskFull);
  EXPECT_EQ(sqlite_error_text(SQLITE_IOERR_SHMSIZE, ENOSPC, "disk I/O error"), kDiskFull);
  EXPECT_EQ(sqlite_error_text(SQLITE_CANTOPEN, EDQUOT, "unable to open database file"), kDiskFull);
  // Other failures keep SQLite's words, even with a stale ENOSPC behind a non-I/O error.
  EXPECT_EQ(sqlite_error_text(SQLITE_IOERR_READ, EIO, "disk I/O error"), "disk I/O error");
  EXPECT_EQ(sqlite_error_text(SQLITE_CONSTRAINT, ENOSPC, "constraint failed"), "constraint failed");
}
