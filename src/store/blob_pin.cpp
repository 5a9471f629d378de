#include "store/blob_pin.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace airlock::store {

BlobPin::BlobPin(const std::filesystem::path& blob) {
  fd_ = ::open(blob.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ >= 0 && ::flock(fd_, LOCK_SH) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

BlobPin::~BlobPin() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

bool blob_pinned(const std::filesystem::path& blob) {
  const int fd = ::open(blob.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool pinned = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);
  return pinned;
}

}  // namespace airlock::store
