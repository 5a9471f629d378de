// A loaded model keeps its GGUF blob mapped; deleting the name and running gc must not take the
// blob away underneath it (the mapping survives, but the file is gone for /api/ps, a reload, or a
// second process). A pin is a shared flock on the blob, held while the model is loaded; gc, in
// this process or another, tries an exclusive one and leaves the blob alone when it cannot. The
// kernel drops the lock with the process, so a crash leaves no stale pin.
#pragma once
#include <filesystem>

namespace airlock::store {

class BlobPin {
 public:
  // Pins the file; a file that cannot be opened is not pinned (nothing to protect).
  explicit BlobPin(const std::filesystem::path& blob);
  ~BlobPin();
  BlobPin(const BlobPin&) = delete;
  BlobPin& operator=(const BlobPin&) = delete;

 private:
  int fd_ = -1;
};

// Whether some process holds a pin on the file.
bool blob_pinned(const std::filesystem::path& blob);

}  // namespace airlock::store
