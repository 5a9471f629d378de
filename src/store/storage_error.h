// Error text for failed storage operations that names a full disk plainly, whichever layer hit
// it: the OS (ENOSPC, EDQUOT) or SQLite, which reports SQLITE_FULL, or an I/O error whose OS cause
// was ENOSPC when its journal, WAL or shared-memory file cannot grow ("disk I/O error" otherwise).
#pragma once
#include <string>
#include <string_view>

namespace airlock::store {

inline constexpr std::string_view kDiskFull = "disk full (no space left on the device)";

// strerror(err), or kDiskFull for ENOSPC and EDQUOT.
std::string errno_text(int err);

// `sqlite_message` (sqlite3_errmsg), or kDiskFull when the extended result code or the OS error
// behind it (sqlite3_system_errno) says the disk is full.
std::string sqlite_error_text(int extended_code, int sys_errno, std::string_view sqlite_message);

}  // namespace airlock::store
