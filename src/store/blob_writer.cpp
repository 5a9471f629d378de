#include "store/blob_writer.h"

#include <airlock/error.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "store/durable_file.h"
#include "store/storage_error.h"

namespace airlock::store {
namespace fs = std::filesystem;

BlobWriter::BlobWriter(const fs::path& blobs_dir) : dir_(blobs_dir) {
  fs::create_directories(dir_);
  std::string templ = (dir_ / (std::string(kTempPrefix) + "blob-XXXXXX")).string();
  fd_ = ::mkostemp(templ.data(), O_CLOEXEC);
  if (fd_ < 0) throw Error(dir_.string() + ": cannot create a temp file: " + errno_text(errno), ErrorKind::Fault);
  ::fchmod(fd_, 0644);
  tmp_ = templ;
}

BlobWriter::~BlobWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void BlobWriter::write(const void* data, size_t n) {
  hash_.update(data, n);
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw Error(dir_.string() + ": writing blob failed after " + std::to_string(size_) +
                  " bytes: " + errno_text(errno), ErrorKind::Fault);
    }
    p += w;
    n -= static_cast<size_t>(w);
    size_ += static_cast<uint64_t>(w);
  }
}

std::string BlobWriter::finish(const std::optional<std::string>& expected, const std::string& what) {
  if (::fsync(fd_) != 0)
    throw Error(dir_.string() + ": fsync of new blob failed: " + errno_text(errno), ErrorKind::Fault);
  ::close(fd_);
  fd_ = -1;
  digest_ = hash_.finish();
  if (expected && *expected != digest_)
    throw Error(what + ": content hashes to " + digest_ + ", expected " + *expected);
  return digest_;
}

void BlobWriter::commit() {
  if (digest_.empty()) throw Error("blob writer: commit before finish");
  fs::path final_path = dir_ / ("sha256-" + digest_hex(digest_));
  if (::rename(tmp_.c_str(), final_path.c_str()) != 0)
    throw Error(final_path.string() + ": cannot rename blob into place: " + errno_text(errno), ErrorKind::Fault);
  committed_ = true;
  fsync_dir(dir_);
}

std::string put_stream_blob(const fs::path& blobs_dir, std::istream& in,
                            const std::optional<std::string>& expected, const ProgressFn& progress) {
  BlobWriter w(blobs_dir);
  std::vector<char> buf(kChunkBytes);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    w.write(buf.data(), n);
    if (progress) progress(w.size(), 0);
  }
  if (in.bad()) throw Error("blob stream: read error after " + std::to_string(w.size()) + " bytes");
  std::string d = w.finish(expected, "blob stream");
  w.commit();
  return d;
}

std::string put_file_blob(const fs::path& blobs_dir, const fs::path& src,
                          const std::optional<std::string>& expected, const ProgressFn& progress) {
  int fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(src.string() + ": cannot open: " + errno_text(errno));
  struct stat st {};
  ::fstat(fd, &st);
  uint64_t total = static_cast<uint64_t>(st.st_size);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  try {
    BlobWriter w(blobs_dir);
    std::vector<char> buf(kChunkBytes);
    for (;;) {
      ssize_t r = ::read(fd, buf.data(), buf.size());
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw Error(src.string() + ": read error: " + errno_text(errno));
      if (r == 0) break;
      w.write(buf.data(), static_cast<size_t>(r));
      if (progress) progress(w.size(), total);
    }
    std::string d = w.finish(expected, src.string());
    w.commit();
    ::close(fd);
    return d;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

}  // namespace airlock::store
