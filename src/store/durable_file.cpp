#include "store/durable_file.h"

#include <airlock/error.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "store/storage_error.h"

namespace airlock::store {
namespace fs = std::filesystem;

namespace {
std::string sys_error(const fs::path& p, const char* what) {
  return p.string() + ": " + what + ": " + errno_text(errno);
}

void write_all(int fd, const char* data, size_t n, const fs::path& p) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw Error(sys_error(p, "write failed"), ErrorKind::Fault);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
}
}  // namespace

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error(sys_error(dir, "cannot open folder to sync"), ErrorKind::Fault);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw Error(sys_error(dir, "fsync of folder failed"), ErrorKind::Fault);
}

void write_file_atomic(const fs::path& path, std::string_view bytes) { StagedFile(path, bytes).commit(); }

// Absolute, so that a bare file name ("site.key") has a folder to hold the temp file and to sync.
StagedFile::StagedFile(fs::path path, std::string_view bytes) : path_(fs::absolute(path)) {
  fs::create_directories(path_.parent_path());
  std::random_device rd;
  tmp_ = path_.parent_path() / (".tmp-" + path_.filename().string() + "-" + std::to_string(::getpid()) + "-" +
                                std::to_string(rd()));
  int fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(sys_error(tmp_, "cannot create"), ErrorKind::Fault);
  try {
    write_all(fd, bytes.data(), bytes.size(), tmp_);
    if (::fsync(fd) != 0) throw Error(sys_error(tmp_, "fsync failed"), ErrorKind::Fault);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp_.c_str());
    throw;
  }
  ::close(fd);
}

StagedFile::~StagedFile() {
  if (!committed_) ::unlink(tmp_.c_str());
}

void StagedFile::commit() {
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw Error(sys_error(path_, "cannot rename into place"), ErrorKind::Fault);
  committed_ = true;
  fsync_dir(path_.parent_path());
}

std::string read_small_file(const fs::path& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(sys_error(path, "cannot open"));  // often a path the user named
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path.string() + ": not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw Error(path.string() + ": " + std::to_string(st.st_size) + " bytes, larger than the " +
                std::to_string(max_bytes) + " allowed for this kind of file");
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t r = ::read(fd, out.data() + got, out.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

FileLock::FileLock(const fs::path& lock_file, Mode mode) {
  fs::create_directories(lock_file.parent_path());
  fd_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(sys_error(lock_file, "cannot open lock file"), ErrorKind::Fault);
  int op = mode == Mode::Exclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd_, op) != 0) {
    if (errno == EINTR) continue;
    std::string msg = sys_error(lock_file, "cannot lock");
    ::close(fd_);
    throw Error(msg);
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace airlock::store
