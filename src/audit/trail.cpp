#include "audit/trail.h"

#include <airlock/error.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <fstream>

#include "audit/chain.h"
#include "audit/segments.h"
#include "common/json_field.h"
#include "store/durable_file.h"

namespace airlock::audit {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

std::string errno_text() { return std::strerror(errno); }

// The bytes between the last newline before `end` and `end` (the file's first `end` bytes), read
// backwards in chunks: a record may be large.
std::string line_before(int fd, uint64_t end) {
  std::string tail;
  uint64_t pos = end;
  while (pos > 0) {
    const uint64_t n = std::min<uint64_t>(pos, 1 << 16);
    std::string chunk(n, '\0');
    if (::pread(fd, chunk.data(), n, static_cast<off_t>(pos - n)) != static_cast<ssize_t>(n))
      throw Error("audit: cannot read back a segment: " + errno_text(), ErrorKind::Busy);
    pos -= n;
    const auto nl = chunk.rfind('\n');
    if (nl != std::string::npos) return chunk.substr(nl + 1) + tail;
    tail = chunk + tail;
  }
  return tail;
}

// The last record of a segment that ends in a newline and is `size` bytes long.
std::string last_line(int fd, uint64_t size) { return size == 0 ? "" : line_before(fd, size - 1); }

std::string day_of(const std::string& time) { return time.substr(0, 10); }

struct FileLock {
  int fd;
  explicit FileLock(int f) : fd(f) {
    while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { ::flock(fd, LOCK_UN); }
};

}  // namespace

Content parse_content(const std::string& s) {
  if (s == "full") return Content::Full;
  if (s == "hash") return Content::Hash;
  if (s == "none") return Content::None;
  throw Error("audit_content: '" + s + "' is not one of full, hash, none");
}

const char* content_name(Content c) {
  switch (c) {
    case Content::Full: return "full";
    case Content::Hash: return "hash";
    case Content::None: return "none";
  }
  return "full";
}

Trail::Trail(TrailOptions options) : opt_(std::move(options)) {
  std::error_code ec;
  fs::create_directories(opt_.dir, ec);
  if (ec) throw Error("audit: cannot create " + opt_.dir.string() + ": " + ec.message());
  lock_fd_ = ::open((opt_.dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw Error("audit: cannot write in " + opt_.dir.string() + ": " + errno_text());
  std::unique_lock lk(mu_);
  FileLock fl(lock_fd_);
  const Listing l = list_segments(opt_.dir);
  open_segment_locked(l.segments.empty() ? 1 : l.segments.rbegin()->first);
  load_tail_locked();
  retire_expired_locked();
  syncer_ = std::thread([this] { sync_loop(); });
}

Trail::~Trail() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  std::lock_guard lk(mu_);
  {
    FileLock fl(lock_fd_);
    try {
      follow_locked();
      if (size_ > 0) sign_locked();
    } catch (const std::exception&) {
      // Nothing to report to at shutdown; verify shows the segment unsigned.
    }
  }
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
  ::close(lock_fd_);
}

void Trail::open_segment_locked(uint64_t number) {
  if (fd_ >= 0) ::close(fd_);
  const fs::path p = segment_path(opt_.dir, number);
  fd_ = ::open(p.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw Error("audit: cannot open " + p.string() + ": " + errno_text(), ErrorKind::Busy);
  file_ = number;
}

void Trail::load_tail_locked() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw Error("audit: cannot stat the current segment: " + errno_text(), ErrorKind::Busy);
  size_ = static_cast<uint64_t>(st.st_size);
  // A record cut short by a crash is not part of the chain: cut it off and say so.
  uint64_t cut = 0;
  if (size_ > 0) {
    char lastc = 0;
    if (::pread(fd_, &lastc, 1, static_cast<off_t>(size_ - 1)) != 1)
      throw Error("audit: cannot read the current segment: " + errno_text(), ErrorKind::Busy);
    if (lastc != '\n') {
      const std::string partial = line_before(fd_, size_);
      cut = partial.size();
      if (::ftruncate(fd_, static_cast<off_t>(size_ - cut)) != 0)
        throw Error("audit: cannot cut a partial record: " + errno_text(), ErrorKind::Busy);
      size_ -= cut;
    }
  }
  if (size_ == 0) {
    // An empty segment continues the one before it, if any.
    day_ = day_of(utc_time(Clock::now()));
    seq_ = 0;
    last_hash_ = kGenesis;
    if (file_ > 1) {
      const int prev = ::open(segment_path(opt_.dir, file_ - 1).c_str(), O_RDONLY | O_CLOEXEC);
      if (prev >= 0) {
        struct stat ps {};
        ::fstat(prev, &ps);
        const Opened o = open_line(last_line(prev, static_cast<uint64_t>(ps.st_size)));
        ::close(prev);
        if (o.record.is_object()) {
          seq_ = json_uint_or(o.record, "seq");
          last_hash_ = o.hash;
        }
      }
    }
  } else {
    const Opened o = open_line(last_line(fd_, size_));
    if (!o.record.is_object())
      throw Error("audit: the last record of " + segment_name(file_) + " is unreadable (" + o.problem +
                      "); run airlock audit verify",
                  ErrorKind::Busy);
    seq_ = json_uint_or(o.record, "seq");
    last_hash_ = o.hash;
    char head[512] = {};
    const ssize_t n = ::pread(fd_, head, sizeof head - 1, 0);
    const std::string h(head, n > 0 ? static_cast<size_t>(n) : 0);
    const auto t = h.find("\"time\":\"");
    day_ = t == std::string::npos ? day_of(utc_time(Clock::now())) : day_of(h.substr(t + 8, 10));
  }
  if (cut > 0) append_locked({{"type", "recovered"}, {"cut_bytes", cut}, {"note", "a partial record (crash mid-write) was cut off"}});
}

void Trail::follow_locked() {
  // Another process may have rotated (a newer segment exists) or appended (the size changed).
  bool moved = false;
  while (fs::exists(segment_path(opt_.dir, file_ + 1))) {
    open_segment_locked(file_ + 1);
    moved = true;
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw Error("audit: cannot stat the current segment: " + errno_text(), ErrorKind::Busy);
  if (moved || static_cast<uint64_t>(st.st_size) != size_) load_tail_locked();
}

void Trail::sign_locked() {
  if (!opt_.sign_key || seq_ == 0) return;
  const std::string name = segment_name(file_);
  store::write_file_atomic(opt_.dir / (name + ".sig"), store::sign_message(*opt_.sign_key, signed_message(name, seq_, last_hash_)));
}

void Trail::rotate_locked() {
  if (::fdatasync(fd_) != 0) throw Error("audit: cannot sync " + segment_name(file_) + ": " + errno_text(), ErrorKind::Busy);
  sign_locked();
  open_segment_locked(file_ + 1);
  size_ = 0;
  day_ = day_of(utc_time(Clock::now()));
  retire_expired_locked();
}

void Trail::retire_expired_locked() {
  if (opt_.retention_days <= 0) return;
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(24) * opt_.retention_days;
  nlohmann::ordered_json deleted = nlohmann::ordered_json::array();
  // Oldest first and only a prefix, so what stays is one unbroken chain.
  for (const auto& [n, p] : list_segments(opt_.dir).segments) {
    if (n >= file_) break;
    std::error_code ec;
    if (fs::last_write_time(p, ec) > cutoff || ec) break;
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    struct stat st {};
    ::fstat(fd, &st);
    const Opened o = open_line(last_line(fd, static_cast<uint64_t>(st.st_size)));
    ::close(fd);
    if (!o.record.is_object()) break;
    fs::remove(p, ec);
    if (ec) break;
    fs::remove(p.string() + ".sig", ec);
    deleted.push_back({{"segment", p.filename().string()}, {"last_seq", json_uint_or(o.record, "seq")}, {"last_hash", o.hash}});
  }
  if (!deleted.empty())
    append_locked({{"type", "retention"}, {"retention_days", opt_.retention_days}, {"deleted", deleted}});
}

void Trail::append(const nlohmann::ordered_json& fields) {
  {
    std::lock_guard lk(mu_);
    FileLock fl(lock_fd_);
    try {
      follow_locked();
      if (lost_ > 0) {
        append_locked({{"type", "audit_gap"}, {"lost_records", lost_}, {"note", "records that could not be written"}});
        lost_ = 0;
      }
      append_locked(fields);
    } catch (const Error&) {
      ++lost_;
      healthy_ = false;
      throw;
    }
  }
  // The sync thread flushes it; the request thread does not wait for the disk (see sync_loop).
  if (opt_.fsync_every.count() == 0) cv_.notify_one();
  healthy_ = true;
}

// For recover(): after a failure, requests are accepted again only once a record has reached the
// disk, so this waits for the sync. One fdatasync covers every record written before it started.
void Trail::sync_through(uint64_t seq) {
  std::lock_guard sl(sync_mu_);
  if (synced_ >= seq) return;
  int fd = -1;
  uint64_t upto = 0;
  std::string name;
  {
    std::lock_guard lk(mu_);
    fd = ::dup(fd_);  // earlier segments were synced when they were rotated out
    upto = seq_;
    name = segment_name(file_);
  }
  const int rc = fd < 0 ? -1 : ::fdatasync(fd);
  const std::string why = rc != 0 ? errno_text() : "";
  if (fd >= 0) ::close(fd);
  if (rc != 0) {
    healthy_ = false;
    throw Error("audit: cannot sync " + name + ": " + why, ErrorKind::Busy);
  }
  synced_ = std::max(synced_, upto);
}

bool Trail::recover() {
  try {
    uint64_t written = 0;
    {
      std::lock_guard lk(mu_);
      FileLock fl(lock_fd_);
      follow_locked();
      append_locked({{"type", "audit_gap"}, {"lost_records", lost_}, {"note", "records that could not be written"}});
      lost_ = 0;
      written = seq_;
    }
    if (opt_.fsync_every.count() == 0) sync_through(written);
  } catch (const Error&) {
    return false;
  }
  healthy_ = true;
  return true;
}

bool Trail::healthy() const {
  if (!healthy_) return false;
  struct statvfs vfs {};
  if (::statvfs(opt_.dir.c_str(), &vfs) != 0) return false;
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize >= (uint64_t{1} << 20);
}

void Trail::append_locked(nlohmann::ordered_json fields) {
  const auto now = Clock::now();
  const std::string time = utc_time(now);
  if (size_ > 0 && (size_ >= opt_.max_file_bytes || day_of(time) != day_)) rotate_locked();
  nlohmann::ordered_json r = {{"time", time}};
  for (const auto& [k, v] : fields.items()) r[k] = v;
  const Sealed s = seal(r, seq_ + 1, file_, last_hash_);
  const std::string line = s.line + "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? errno_text() : "no space";
      // Leave no partial record behind for the next one to follow.
      if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      }
      throw Error("audit: cannot write to " + segment_name(file_) + ": " + why, ErrorKind::Busy);
    }
    done += static_cast<size_t>(n);
  }
  size_ += line.size();
  ++seq_;
  last_hash_ = s.hash;
  dirty_ = true;  // synced by append() (every record) or by the sync thread (every N ms)
}

// With fsync_every 0 it syncs as soon as a record is written, one fdatasync covering every record
// written meanwhile (group commit), so a crash loses at most the records of the sync in flight.
// Waiting for that sync on the request thread would add nothing for the client, whose answer was
// sent before its record was written, but it held each HTTP thread for the disk's latency (8.8 ms
// per record from one thread, 24 ms from 16, on the development VM: bench/audit), which cost 16
// concurrent streams about 15% of their throughput. With fsync_every N it syncs every N ms.
void Trail::sync_loop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    if (opt_.fsync_every.count() > 0)
      cv_.wait_for(lk, opt_.fsync_every, [this] { return stopping_; });
    else
      cv_.wait(lk, [this] { return stopping_ || dirty_; });
    if (!dirty_ || fd_ < 0) continue;
    dirty_ = false;
    const int fd = ::dup(fd_);
    lk.unlock();
    if (fd >= 0) {
      if (::fdatasync(fd) != 0) healthy_ = false;
      ::close(fd);
    }
    lk.lock();
  }
}

}  // namespace airlock::audit
