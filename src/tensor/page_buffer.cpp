#include "tensor/page_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>
#include <utility>

namespace airlock {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;

uint8_t* map_pages(size_t bytes, bool huge) {
  if (bytes == 0) return nullptr;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t len = (bytes + page - 1) / page * page;
  // Huge pages back only 2 MiB-aligned ranges: map a huge page more and trim both ends to align.
  const size_t extra = huge ? kHugePage : 0;
  void* p = mmap(nullptr, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  auto* base = static_cast<uint8_t*>(p);
  if (!huge) return base;
  const auto addr = reinterpret_cast<uintptr_t>(base);
  const size_t head = (kHugePage - addr % kHugePage) % kHugePage;
  if (head) munmap(base, head);
  if (extra - head) munmap(base + head + len, extra - head);
  madvise(base + head, bytes, MADV_HUGEPAGE);  // advisory: without it the pages are small ones
  return base + head;
}
}  // namespace

PageBuffer::PageBuffer(size_t bytes, bool huge) : data_(map_pages(bytes, huge)), size_(bytes) {}

PageBuffer::~PageBuffer() {
  if (data_) munmap(data_, size_);
}

PageBuffer::PageBuffer(PageBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& o) noexcept {
  if (this != &o) {
    if (data_) munmap(data_, size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

std::shared_ptr<void> shared_pages(size_t bytes, bool huge) {
  auto buf = std::make_shared<PageBuffer>(bytes, huge);
  return std::shared_ptr<void>(buf, buf->data());  // aliasing: the buffer lives while the pointer does
}

}  // namespace airlock
