// A read-only memory mapping of a whole file. Model weights are used in place from the mapping,
// so the kernel's page cache holds the only copy.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace airlock {

class MappedFile {
 public:
  // Throws airlock::Error naming the file if it cannot be opened or mapped.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace airlock
