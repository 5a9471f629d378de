#include "gguf/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "airlock/error.h"

namespace airlock {

namespace {
constexpr size_t kBufferSize = 1 << 20;

[[noreturn]] void fail(const std::filesystem::path& p, const char* what, int err) {
  throw Error(p.string() + ": " + what + ": " + std::strerror(err));
}
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  std::string tmpl = (dir / ("." + path_.filename().string() + ".tmp-XXXXXX")).string();
  fd_ = ::mkstemp(tmpl.data());
  if (fd_ < 0) fail(path_, "cannot create a temp file next to it", errno);
  tmp_ = tmpl;
  ::fchmod(fd_, 0644);  // mkstemp creates 0600; a model file is meant to be readable
  buf_.reserve(kBufferSize);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!published_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::flush() {
  size_t done = 0;
  while (done < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path_, "write failed", errno);
    done += static_cast<size_t>(n);
  }
  buf_.clear();
}

void AtomicFile::write(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  written_ += n;
  while (n > 0) {
    const size_t take = std::min(n, kBufferSize - buf_.size());
    buf_.insert(buf_.end(), p, p + take);
    p += take;
    n -= take;
    if (buf_.size() == kBufferSize) flush();
  }
}

void AtomicFile::pad_to(uint64_t multiple) {
  static const uint8_t zeros[64] = {};
  uint64_t pad = (multiple - written_ % multiple) % multiple;
  while (pad > 0) {
    const size_t take = static_cast<size_t>(std::min<uint64_t>(pad, sizeof zeros));
    write(zeros, take);
    pad -= take;
  }
}

void AtomicFile::finish() {
  flush();
  if (::fsync(fd_) != 0) fail(path_, "fsync failed", errno);
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail(path_, "close failed", errno);
  }
  fd_ = -1;
}

void AtomicFile::publish() {
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail(path_, "cannot rename the temp file into place", errno);
  published_ = true;
  // The rename itself is durable only once the folder is synced.
  const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace airlock
