// Memory for model-sized buffers (packed weights, the KV cache) straight from the kernel: mapped
// when made, unmapped when freed, so unloading a model gives its memory back at once. From the C
// allocator, blocks under its adaptive mmap threshold (up to 32 MiB) stay in its arenas after
// free: 30 load/unload cycles of a server left 360 MB behind that way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace airlock {

class PageBuffer {
 public:
  PageBuffer() = default;
  // Zero-filled; `huge`: ask for transparent huge pages (advisory). Throws std::bad_alloc.
  explicit PageBuffer(size_t bytes, bool huge = false);
  ~PageBuffer();
  PageBuffer(PageBuffer&& o) noexcept;
  PageBuffer& operator=(PageBuffer&& o) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// The same memory shared by owners of the packed weights.
std::shared_ptr<void> shared_pages(size_t bytes, bool huge);

}  // namespace airlock
