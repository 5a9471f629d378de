#include "store/storage_error.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>

namespace airlock::store {

namespace {
bool disk_full_errno(int err) { return err == ENOSPC || err == EDQUOT; }
}  // namespace

std::string errno_text(int err) {
  if (disk_full_errno(err)) return std::string(kDiskFull);
  return std::strerror(err);
}

std::string sqlite_error_text(int extended_code, int sys_errno, std::string_view sqlite_message) {
  const int primary = extended_code & 0xff;
  if (primary == SQLITE_FULL) return std::string(kDiskFull);
  // SQLITE_IOERR_WRITE, _SHMSIZE, _TRUNCATE, ... all carry the errno of the call that failed.
  if ((primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) && disk_full_errno(sys_errno))
    return std::string(kDiskFull);
  return std::string(sqlite_message);
}

}  // namespace airlock::store
