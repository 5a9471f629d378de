// A file that appears under its final name only once it is completely written and on disk: bytes
// go to a temp file in the same folder, which is fsynced and then renamed over the destination.
// Destroying it unpublished removes the temp file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace airlock {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void pad_to(uint64_t multiple);  // zero bytes up to the next multiple of `multiple`
  uint64_t size() const { return written_; }
  // Flushes, fsyncs and closes the temp file.
  void finish();
  // Renames the finished temp file to the destination and fsyncs the folder.
  void publish();

 private:
  void flush();

  std::filesystem::path path_;
  std::filesystem::path tmp_;
  int fd_ = -1;
  bool published_ = false;
  uint64_t written_ = 0;
  std::vector<uint8_t> buf_;
};

}  // namespace airlock
