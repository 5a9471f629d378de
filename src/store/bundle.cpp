#include "store/bundle.h"

#include <airlock/error.h>
#include <airlock/version.h>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "common/json_depth.h"
#include "common/json_field.h"
#include "store/bundle_source.h"
#include "store/digest.h"
#include "store/durable_file.h"
#include "store/sealed_file.h"

namespace airlock::store {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr const char* kIndex = "index.json";
constexpr const char* kSignature = "index.json.sig";
constexpr const char* kSums = "SHA256SUMS";
constexpr size_t kMaxSmallEntry = 16 << 20;  // index, signature, sums, manifests

struct ArchiveFree {
  void operator()(archive* a) const { archive_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Archive = std::unique_ptr<archive, ArchiveFree>;
using Entry = std::unique_ptr<archive_entry, EntryFree>;

struct FileRecord {
  std::string path, digest;
  uint64_t size = 0;
};

std::string sums_text(const std::vector<FileRecord>& files) {
  std::string s;
  for (const auto& f : files) s += f.digest.substr(7) + "  " + f.path + "\n";
  return s;
}

// ---- writing ----

// Writes the tar to `path`, or with `encrypt_to` through a SealedWriter so that no plaintext byte
// reaches the disk.
class TarWriter {
 public:
  TarWriter(const fs::path& path, const PublicKey* encrypt_to) : path_(path), a_(archive_write_new()) {
    if (!a_ || archive_write_set_format_pax_restricted(a_.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(a_.get(), 1 << 16) != ARCHIVE_OK)
      fail("cannot create");
    // No padding of the last block to 64 KiB, as libarchive does for a file it opens itself.
    if (encrypt_to && archive_write_set_bytes_in_last_block(a_.get(), 1) != ARCHIVE_OK) fail("cannot create");
    if (encrypt_to) sealed_ = std::make_unique<SealedWriter>(path, *encrypt_to);
    if ((sealed_ ? archive_write_open(a_.get(), this, nullptr, &TarWriter::write_sealed, nullptr)
                 : archive_write_open_filename(a_.get(), path.c_str())) != ARCHIVE_OK)
      fail("cannot create");
  }
  [[noreturn]] void fail(const char* what) {
    if (!sealed_error_.empty()) throw Error(sealed_error_);
    throw Error(path_.string() + ": " + what + ": " + (a_ ? archive_error_string(a_.get()) ?: "" : ""));
  }
  void begin(const std::string& name, uint64_t size, int64_t mtime) {
    Entry e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_mtime(e.get(), mtime, 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) fail("cannot write a tar header");
  }
  void data(const void* p, size_t n) {
    if (archive_write_data(a_.get(), p, n) != static_cast<la_ssize_t>(n)) fail("write failed");
  }
  void small(const std::string& name, std::string_view bytes, int64_t mtime) {
    begin(name, bytes.size(), mtime);
    data(bytes.data(), bytes.size());
  }
  void close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) fail("cannot finish");
    if (sealed_) sealed_->finish();
  }

 private:
  // libarchive's write callback; an Error cannot cross its C frames, so it is kept and rethrown.
  static la_ssize_t write_sealed(archive* a, void* self, const void* p, size_t n) {
    auto* w = static_cast<TarWriter*>(self);
    try {
      w->sealed_->write(p, n);
      return static_cast<la_ssize_t>(n);
    } catch (const Error& e) {
      w->sealed_error_ = e.what();
      archive_set_error(a, EIO, "%s", e.what());
      return -1;
    }
  }

  fs::path path_;
  std::unique_ptr<SealedWriter> sealed_;  // before a_: libarchive may still write while freeing
  std::string sealed_error_;
  Archive a_;
};

// ---- reading ----

// What the reader does with each checked file's bytes.
struct Sink {
  virtual ~Sink() = default;
  virtual void begin_blob(const FileRecord&) {}
  virtual void blob_data(const void*, size_t) {}
  // Called after the blob's hash matched.
  virtual void end_blob(const FileRecord&) {}
};

bool safe_component(std::string_view s) { return !s.empty() && s != "." && s != ".."; }

// Refuses anything but a regular file with a plain relative path; names the trick.
void check_entry_shape(archive_entry* e, const std::string& origin) {
  const char* p = archive_entry_pathname(e);
  if (!p) throw Error(origin + ": tar entry without a path");
  std::string path = p;
  if (archive_entry_hardlink(e)) throw Error(origin + ": refusing hard link '" + path + "'");
  if (archive_entry_symlink(e) || archive_entry_filetype(e) == AE_IFLNK)
    throw Error(origin + ": refusing symbolic link '" + path + "'");
  if (archive_entry_filetype(e) != AE_IFREG)
    throw Error(origin + ": refusing '" + path + "': not a regular file (directory, device or fifo)");
  if (path.empty()) throw Error(origin + ": refusing a tar entry with an empty path");
  if (path[0] == '/') throw Error(origin + ": refusing absolute path '" + path + "'");
  for (size_t s = 0, e2; s <= path.size(); s = e2 + 1) {
    e2 = path.find('/', s);
    if (e2 == std::string::npos) e2 = path.size();
    if (!safe_component(std::string_view(path).substr(s, e2 - s)))
      throw Error(origin + ": refusing path '" + path + "' ('..', '.' or empty component)");
  }
  if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
    throw Error(origin + ": tar entry '" + path + "' has no size");
}

// Reads a plain bundle from its file, or an encrypted one through `sealed` (then the tar is only
// ever plaintext in memory, one chunk at a time).
class BundleReader {
 public:
  BundleReader(const fs::path& file, ProgressFn progress, SealedReader* sealed)
      : file_(file), origin_(file.string()), progress_(std::move(progress)), sealed_(sealed), a_(archive_read_new()) {
    if (sealed_) info_.encrypted_to = sealed_->recipient();
    if (!a_ || archive_read_support_format_tar(a_.get()) != ARCHIVE_OK ||
        (sealed_ ? archive_read_open(a_.get(), this, nullptr, &BundleReader::read_sealed, nullptr)
                 : archive_read_open_filename(a_.get(), file.c_str(), kChunkBytes)) != ARCHIVE_OK)
      fail("cannot open bundle: ");
  }

  // Reads index.json (and its signature) and checks the signature against `trusted`.
  BundleInfo read_head(const std::vector<PublicKey>& trusted) {
    archive_entry* e = next();
    if (!e || std::string(archive_entry_pathname(e)) != kIndex)
      throw Error(origin_ + ": not an airlock bundle (first entry is not index.json)");
    index_text_ = read_small(e);
    parse_index();
    e = next();
    if (e && std::string(archive_entry_pathname(e)) == kSignature) {
      std::string sig = read_small(e);
      info_.key_id = signature_key_id(sig, origin_ + ": " + kSignature);
      info_.signature = SignatureState::Untrusted;
      for (const auto& k : trusted) {
        if (k.key_id != info_.key_id) continue;
        if (!verify_message(k, index_text_, sig, origin_ + ": " + kSignature))
          throw Error(origin_ + ": signature by key " + info_.key_id + " does not match index.json");
        info_.signature = SignatureState::Trusted;
      }
      e = next();
    }
    pending_ = e;
    return info_;
  }

  // Streams and checks every remaining file; `sink` gets the blobs, manifests are kept.
  void read_rest(Sink& sink) {
    std::set<std::string> seen;
    bool sums_seen = false;
    for (archive_entry* e = pending_; e; e = next()) {
      std::string path = archive_entry_pathname(e);
      if (path == kSums && !sums_seen) {
        sums_seen = true;
        if (read_small(e) != sums_text(files_))
          throw Error(origin_ + ": SHA256SUMS does not match index.json");
        continue;
      }
      auto it = by_path_.find(path);
      if (it == by_path_.end()) throw Error(origin_ + ": unexpected file '" + path + "' not listed in index.json");
      if (!seen.insert(path).second) throw Error(origin_ + ": '" + path + "' appears twice");
      const FileRecord& rec = files_[it->second];
      if (static_cast<uint64_t>(archive_entry_size(e)) != rec.size)
        throw Error(origin_ + ": '" + path + "' is " + std::to_string(archive_entry_size(e)) +
                    " bytes, index.json says " + std::to_string(rec.size));
      if (path.rfind("manifests/", 0) == 0) {
        std::string bytes = read_small(e);
        if (sha256_of(bytes) != rec.digest)
          throw Error(origin_ + ": '" + path + "' is corrupt (hash differs from index.json)");
        manifests_[path] = std::move(bytes);
      } else {
        stream_blob(rec, sink);
      }
    }
    if (!sums_seen) throw Error(origin_ + ": SHA256SUMS missing");
    // Every entry checked out; an encrypted bundle must also end with its final chunk, so that a
    // cut-off copy whose tar happens to look complete is still refused.
    if (sealed_) sealed_->expect_end();
    for (const auto& f : files_)
      if (!seen.count(f.path)) throw Error(origin_ + ": '" + f.path + "' listed in index.json is missing");
    // The manifests must describe exactly the blobs the bundle carries, sizes included: the store
    // would refuse the tag for a wrong size after the blobs were installed, leaving them orphaned.
    for (const auto& m : info_.models) {
      const std::string& raw = manifests_.at(model_manifest_path_.at(m.name));
      if (sha256_of(raw) != m.digest)
        throw Error(origin_ + ": manifest of " + m.name + " does not have the digest index.json names");
      for (const auto& l : Manifest::parse(raw, origin_ + ": manifest of " + m.name).blobs()) {
        auto blob = by_path_.find("blobs/sha256-" + l.digest.substr(7));
        if (blob == by_path_.end())
          throw Error(origin_ + ": " + m.name + " needs blob " + l.digest + ", which the bundle lacks");
        if (files_[blob->second].size != l.size)
          throw Error(origin_ + ": " + m.name + "'s manifest says blob " + l.digest + " has " +
                      std::to_string(l.size) + " bytes; the bundle's has " + std::to_string(files_[blob->second].size));
      }
    }
  }

  const std::string& manifest_of(const std::string& name) const {
    return manifests_.at(model_manifest_path_.at(name));
  }

 private:
  std::string lib_error() { return archive_error_string(a_.get()) ? archive_error_string(a_.get()) : "unknown"; }

  // A failed decryption says so itself, rather than as the damaged tar libarchive saw.
  [[noreturn]] void fail(const std::string& what) {
    if (!sealed_error_.empty()) throw Error(sealed_error_);
    throw Error(origin_ + ": " + what + lib_error());
  }

  // libarchive's read callback: the next decrypted chunk (empty at the end). An Error cannot cross
  // libarchive's C frames, so it is kept and rethrown by fail().
  static la_ssize_t read_sealed(archive* a, void* self, const void** buf) {
    auto* r = static_cast<BundleReader*>(self);
    try {
      const auto chunk = r->sealed_->next();
      *buf = chunk.data();
      return static_cast<la_ssize_t>(chunk.size());
    } catch (const Error& e) {
      r->sealed_error_ = e.what();
      archive_set_error(a, EIO, "%s", e.what());
      return -1;
    }
  }

  archive_entry* next() {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_.get(), &e);
    if (rc == ARCHIVE_EOF) return nullptr;
    if (rc != ARCHIVE_OK) fail("damaged tar: ");
    check_entry_shape(e, origin_);
    return e;
  }

  std::string read_small(archive_entry* e) {
    auto size = static_cast<uint64_t>(archive_entry_size(e));
    if (size > kMaxSmallEntry)
      throw Error(origin_ + ": '" + archive_entry_pathname(e) + "' is " + std::to_string(size) + " bytes, too large");
    std::string out(size, '\0');
    size_t got = 0;
    while (got < size) {
      la_ssize_t r = archive_read_data(a_.get(), out.data() + got, size - got);
      if (r < 0) fail("read error: ");
      if (r == 0) throw Error(origin_ + ": '" + archive_entry_pathname(e) + "' is truncated");
      got += static_cast<size_t>(r);
    }
    return out;
  }

  void stream_blob(const FileRecord& rec, Sink& sink) {
    sink.begin_blob(rec);
    Sha256 h;
    std::vector<char> buf(kChunkBytes);
    uint64_t got = 0;
    for (;;) {
      la_ssize_t r = archive_read_data(a_.get(), buf.data(), buf.size());
      if (r < 0) fail("read error in '" + rec.path + "': ");
      if (r == 0) break;
      h.update(buf.data(), static_cast<size_t>(r));
      sink.blob_data(buf.data(), static_cast<size_t>(r));
      got += static_cast<uint64_t>(r);
      done_ += static_cast<uint64_t>(r);
      if (progress_) progress_(done_, info_.bytes);
    }
    if (got != rec.size) throw Error(origin_ + ": '" + rec.path + "' is truncated");
    std::string d = h.finish();
    if (d != rec.digest)
      throw Error(origin_ + ": '" + rec.path + "' is corrupt: content hashes to " + d);
    sink.end_blob(rec);
  }

  void parse_index() {
    std::string where = origin_ + ": index.json";
    require_json_depth_within(index_text_, where);
    json j = json::parse(index_text_, nullptr, false);
    if (j.is_discarded() || !j.is_object() || json_string_or(j, "format") != "airlock-bundle")
      throw Error(where + ": not an airlock bundle index");
    if (json_uint_or(j, "version") != 1) throw Error(where + ": unsupported bundle version");
    try {
      info_.created = j.at("created").get<int64_t>();
      info_.airlock_version = json_string_or(j, "airlock_version");
      for (const auto& f : j.at("files")) {
        FileRecord r{f.at("path").get<std::string>(), f.at("sha256").get<std::string>(), f.at("size").get<uint64_t>()};
        check_digest(r.digest, where + ": " + r.path);
        bool is_blob = r.path == "blobs/sha256-" + r.digest.substr(7);
        bool is_manifest = false;
        if (!is_blob && r.path.rfind("manifests/", 0) == 0) {
          ModelRef::from_manifest_path(fs::path(r.path.substr(10)));  // throws for an unsafe name
          is_manifest = true;
        }
        if (!is_blob && !is_manifest) throw Error(where + ": file '" + r.path + "' is neither a manifest nor a blob");
        if (!by_path_.emplace(r.path, files_.size()).second) throw Error(where + ": '" + r.path + "' listed twice");
        if (is_blob) info_.bytes += r.size;
        files_.push_back(std::move(r));
      }
      for (const auto& m : j.at("models")) {
        BundleModel bm{m.at("name").get<std::string>(), m.at("digest").get<std::string>(), m.at("size").get<uint64_t>()};
        ModelRef ref = ModelRef::parse(bm.name);
        std::string mpath = "manifests/" + ref.manifest_path().string();
        if (!by_path_.count(mpath)) throw Error(where + ": model " + bm.name + " has no manifest in the bundle");
        model_manifest_path_[bm.name] = mpath;
        info_.models.push_back(std::move(bm));
      }
    } catch (const json::exception& e) {
      throw Error(where + ": malformed: " + e.what());
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
    info_.files = files_.size();
  }

  fs::path file_;
  std::string origin_;
  ProgressFn progress_;
  SealedReader* sealed_;
  std::string sealed_error_;
  Archive a_;
  std::string index_text_;
  BundleInfo info_;
  std::vector<FileRecord> files_;
  std::map<std::string, size_t> by_path_;
  std::map<std::string, std::string> model_manifest_path_;
  std::map<std::string, std::string> manifests_;
  archive_entry* pending_ = nullptr;
  uint64_t done_ = 0;
};

// Writes blobs to hidden temp files; commit() renames them all once every check has passed.
class InstallSink : public Sink {
 public:
  explicit InstallSink(Store& s) : store_(s) {}
  void begin_blob(const FileRecord& rec) override {
    writer_.reset();
    if (store_.has_blob(rec.digest)) return;  // identical content already present
    writer_ = std::make_unique<BlobWriter>(store_.blobs_dir());
  }
  void blob_data(const void* p, size_t n) override {
    if (writer_) writer_->write(p, n);
  }
  void end_blob(const FileRecord& rec) override {
    if (!writer_) return;
    writer_->finish(rec.digest, rec.path);
    done_.push_back(std::move(writer_));
  }
  void commit() {
    for (auto& w : done_) w->commit();
  }

 private:
  Store& store_;
  std::unique_ptr<BlobWriter> writer_;
  std::vector<std::unique_ptr<BlobWriter>> done_;
};

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The decryption of an encrypted bundle, null for a plain one. Refuses, before anything is read or
// written, a bundle encrypted to a key other than `key`.
std::unique_ptr<SealedReader> open_sealed(const fs::path& file, const SecretKey* key) {
  const auto recipient = sealed_recipient(file);
  if (!recipient) return nullptr;
  if (!key)
    throw Error(file.string() + ": bundle is encrypted to key " + *recipient +
                "; reading it needs that key's secret key (--key FILE, or the store's site.key)");
  return std::make_unique<SealedReader>(file, *key);
}
}  // namespace

BundleInfo export_bundle(const Store& store, const std::vector<std::string>& names, const fs::path& out,
                         const SecretKey* sign, const ProgressFn& progress, const PublicKey* encrypt_to) {
  if (names.empty()) throw Error("bundle export: no models named");
  BundleInfo info;
  info.created = now_seconds();
  info.airlock_version = AIRLOCK_VERSION;
  std::vector<FileRecord> files;
  std::vector<std::pair<std::string, std::string>> manifests;  // path, bytes
  std::set<std::string> blob_set;
  json models = json::array();
  for (const auto& n : names) {
    ModelRef ref = ModelRef::parse(n);
    auto raw = store.read_manifest(ref);
    if (!raw) throw Error("bundle export: model '" + n + "' not found in " + store.dir().string());
    Manifest m = Manifest::parse(*raw, ref.display());
    std::string mpath = "manifests/" + ref.manifest_path().string();
    if (std::any_of(manifests.begin(), manifests.end(), [&](auto& p) { return p.first == mpath; })) continue;
    info.models.push_back({ref.full(), sha256_of(*raw), m.total_size()});
    models.push_back({{"name", ref.full()}, {"digest", sha256_of(*raw)}, {"size", m.total_size()}, {"manifest", mpath}});
    files.push_back({mpath, sha256_of(*raw), raw->size()});
    manifests.emplace_back(mpath, *raw);
    for (const auto& l : m.blobs()) {
      if (!blob_set.insert(l.digest).second) continue;
      std::error_code ec;
      uint64_t size = fs::file_size(store.blob_path(l.digest), ec);
      if (ec) throw Error("bundle export: " + ref.display() + ": blob " + l.digest + " is missing from the store");
      if (size != l.size)
        throw Error("bundle export: " + ref.display() + ": blob " + l.digest + " has the wrong size");
      files.push_back({"blobs/sha256-" + l.digest.substr(7), l.digest, size});
      info.bytes += size;
    }
  }
  json jf = json::array();
  for (const auto& f : files) jf.push_back({{"path", f.path}, {"sha256", f.digest}, {"size", f.size}});
  json index{{"format", "airlock-bundle"}, {"version", 1}, {"airlock_version", AIRLOCK_VERSION},
             {"created", info.created}, {"models", models}, {"files", jf}};
  std::string index_text = index.dump(2) + "\n";
  info.files = files.size();

  fs::path tmp = out;
  tmp += ".partial-" + std::to_string(::getpid());
  try {
    TarWriter w(tmp, encrypt_to);
    if (encrypt_to) info.encrypted_to = encrypt_to->key_id;
    w.small(kIndex, index_text, info.created);
    if (sign) {
      w.small(kSignature, sign_message(*sign, index_text), info.created);
      info.key_id = sign->key_id;
      // Whether this store would accept the signature, as verify_bundle would report it here.
      const PublicKey pub = sign->public_key();
      const auto trusted = trusted_keys(store.trusted_keys_dir());
      info.signature = std::any_of(trusted.begin(), trusted.end(),
                                   [&](const PublicKey& k) { return k.key_id == pub.key_id && k.key == pub.key; })
                           ? SignatureState::Trusted
                           : SignatureState::Untrusted;
    }
    w.small(kSums, sums_text(files), info.created);
    for (const auto& [path, bytes] : manifests) w.small(path, bytes, info.created);
    std::vector<char> buf(kChunkBytes);
    uint64_t done = 0;
    for (const auto& f : files) {
      if (f.path.rfind("blobs/", 0) != 0) continue;
      fs::path src = store.blob_path(f.digest);
      int fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw Error(src.string() + ": cannot open: " + std::strerror(errno));
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
      w.begin(f.path, f.size, info.created);
      Sha256 h;
      uint64_t got = 0;
      for (;;) {
        ssize_t r = ::read(fd, buf.data(), buf.size());
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        // Never write past the announced size, even if the blob grew under us.
        size_t n = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(r), f.size - got));
        h.update(buf.data(), n);
        w.data(buf.data(), n);
        got += n;
        done += n;
        if (progress) progress(done, info.bytes);
        if (got == f.size) break;
      }
      ::close(fd);
      if (got != f.size || h.finish() != f.digest)
        throw Error("bundle export: blob " + f.digest + " in the store is corrupt; run airlock verify");
    }
    w.close();
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) ::fsync(fd), ::close(fd);
    fs::rename(tmp, out);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  return info;
}

BundleInfo verify_bundle(const fs::path& file, const std::vector<PublicKey>& trusted, const ProgressFn& progress,
                         const SecretKey* key) {
  auto sealed = open_sealed(file, key);
  BundleReader r(file, progress, sealed.get());
  BundleInfo info = r.read_head(trusted);
  Sink discard;
  r.read_rest(discard);
  return info;
}

BundleInfo import_bundle(Store& store, const fs::path& file, const WriteOptions& opt, const SecretKey* key) {
  bool require = store.config().require_signatures;
  auto sealed = open_sealed(file, key);
  BundleReader r(file, opt.progress, sealed.get());
  BundleInfo info = r.read_head(trusted_keys(store.trusted_keys_dir()));
  if (require && info.signature == SignatureState::Unsigned)
    throw Error(file.string() + ": bundle is not signed and this store requires signatures");
  if (require && info.signature == SignatureState::Untrusted)
    throw Error(file.string() + ": bundle is signed by key " + info.key_id +
                ", which this store does not trust (airlock keys trust PUBFILE)");
  FileLock gc_lock(store.gc_lock_path(), FileLock::Mode::Shared);
  InstallSink sink(store);
  r.read_rest(sink);
  sink.commit();
  // Every model is validated before any tag moves, so a bundle that fails validation changes no tag.
  if (opt.validate)
    for (const auto& m : info.models) {
      const ModelRef ref = ModelRef::parse(m.name);
      const std::string raw = r.manifest_of(m.name);
      opt.validate(store.resolve_manifest(ref, Manifest::parse(raw, ref.display()), sha256_of(raw)));
    }
  WriteOptions w = opt;
  w.source = bundle_source(file, info);
  w.validate = nullptr;
  // All tags move as one change: a failure leaves every tag as it was.
  std::vector<std::pair<ModelRef, std::string>> tags;
  for (const auto& m : info.models) tags.emplace_back(ModelRef::parse(m.name), r.manifest_of(m.name));
  store.set_tags(tags, w);
  return info;
}

}  // namespace airlock::store
