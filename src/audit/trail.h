// The writer of an audit folder: appends sealed records (chain.h) to the current segment
// (segments.h), rotates to a new one by size or at the UTC day boundary with the chain carried
// on, signs each finished segment's last hash when given a key, deletes expired segments under a
// retention policy (recording the deletion in the chain), and syncs to disk on a thread of its
// own: as soon as records are written, or every N ms. Several processes (the server and CLI admin commands) may write one folder: an
// exclusive flock on its .lock file serialises them and each writer follows what others appended.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/signing.h"

namespace airlock::audit {

// What a request record keeps of prompts and answers.
enum class Content { Full, Hash, None };
Content parse_content(const std::string& s);  // "full" | "hash" | "none"; throws airlock::Error
const char* content_name(Content c);

struct TrailOptions {
  std::filesystem::path dir;
  std::chrono::milliseconds fsync_every{0};  // 0: fdatasync as soon as records are written
  uint64_t max_file_bytes = uint64_t{64} << 20;
  int retention_days = 0;  // 0: keep every segment
  std::optional<store::SecretKey> sign_key;
};

class Trail {
 public:
  // Opens (creating) the folder and resumes its chain; a segment that ends in a partial record
  // (a crash mid-write) is cut back to its last whole record, and a "recovered" record says so.
  // Throws airlock::Error when the folder cannot be written.
  explicit Trail(TrailOptions options);
  ~Trail();  // syncs and signs the current segment
  Trail(const Trail&) = delete;
  Trail& operator=(const Trail&) = delete;

  // Appends one record (`time` is added). Throws airlock::Error (Busy) when it cannot be written:
  // nothing of it stays in the file, and healthy() is false until an append succeeds again.
  void append(const nlohmann::ordered_json& fields);
  // False after a failed write or while the folder's file system has less than 1 MiB free.
  bool healthy() const;
  // After a failure: appends a record saying how many records were lost; true when that worked.
  bool recover();

  const TrailOptions& options() const { return opt_; }

 private:
  void append_locked(nlohmann::ordered_json fields);
  void follow_locked();        // catch up with records other processes appended
  void load_tail_locked();     // seq, hash and day of the current segment's end
  void open_segment_locked(uint64_t number);
  void rotate_locked();
  void sign_locked();
  void retire_expired_locked();
  void sync_loop();
  void sync_through(uint64_t seq);  // every record up to seq on disk; throws airlock::Error

  TrailOptions opt_;
  mutable std::mutex mu_;
  int lock_fd_ = -1;
  int fd_ = -1;
  uint64_t file_ = 0, size_ = 0, seq_ = 0;
  std::string last_hash_;
  std::string day_;  // UTC date of the current segment's first record
  std::atomic<bool> healthy_{true};
  uint64_t lost_ = 0;  // records that failed since the last good write
  bool dirty_ = false, stopping_ = false;
  std::mutex sync_mu_;  // one fdatasync at a time; taken without mu_ held
  uint64_t synced_ = 0;  // records up to this seq are on disk
  std::condition_variable cv_;
  std::thread syncer_;
};

}  // namespace airlock::audit
