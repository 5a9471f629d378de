// Durable, atomic file updates (temp file + fsync + rename + fsync of the folder) and advisory
// locks (flock on a lock file), so a crash or a concurrent writer never exposes a half-written file.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace airlock::store {

// Replaces `path` with `bytes` atomically: readers see the old or the new content, never a mix.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// The next content of a file, written and flushed beside it under a hidden temp name, that
// replaces the file only on commit(). Writing is the step that needs disk space; commit() is a
// rename, which does not. So a change can stage every file it needs (including the one that would
// undo it) before it changes anything, and a full disk stops it while nothing has changed.
class StagedFile {
 public:
  StagedFile(std::filesystem::path path, std::string_view bytes);
  ~StagedFile();  // removes the temp file unless committed
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  // Renames the staged bytes over the file and flushes the folder. Once only.
  void commit();

 private:
  std::filesystem::path path_, tmp_;
  bool committed_ = false;
};
// Reads a whole small file; throws airlock::Error naming it when it cannot be read or is larger
// than `max_bytes` (manifests and configs are small; a huge one is damage, not data).
std::string read_small_file(const std::filesystem::path& path, size_t max_bytes = 16 << 20);
// Flushes a folder's entry list so that a rename into it survives a crash.
void fsync_dir(const std::filesystem::path& dir);

// An exclusive or shared flock held for the object's lifetime. Separate open() calls get separate
// locks, so it also serialises threads of one process.
class FileLock {
 public:
  enum class Mode { Shared, Exclusive };
  FileLock(const std::filesystem::path& lock_file, Mode mode);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace airlock::store
