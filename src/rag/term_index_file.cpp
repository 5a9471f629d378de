// TermIndex's saved form (terms.idx): a tag, then each array as a count and its raw bytes, in the
// machine's byte order (the file is a cache of collection.db, rebuilt wherever it does not load).
#include <fstream>

#include "rag/saved_index.h"
#include "rag/term_index.h"

namespace airlock::rag {

namespace fs = std::filesystem;

namespace {

constexpr char kTag[8] = {'A', 'L', 'T', 'E', 'R', 'M', 'S', '1'};

class Writer {
 public:
  explicit Writer(const fs::path& p) : out_(p, std::ios::binary | std::ios::trunc) {}
  template <typename T>
  void pod(const T& v) { out_.write(reinterpret_cast<const char*>(&v), sizeof v); }
  template <typename T>
  void array(const std::vector<T>& v) {
    pod(uint64_t{v.size()});
    out_.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
  }
  void string(const std::string& s) {
    pod(uint64_t{s.size()});
    out_.write(s.data(), static_cast<std::streamsize>(s.size()));
  }
  void finish() {
    if (!out_.flush()) throw std::runtime_error("cannot write the term index");
  }

 private:
  std::ofstream out_;
};

// Every read is bounded by what is left of the file, so no count in it can make us allocate more.
class Reader {
 public:
  explicit Reader(const fs::path& p) : in_(p, std::ios::binary) {
    std::error_code ec;
    left_ = fs::file_size(p, ec);
    ok_ = !ec && in_.good();
  }
  template <typename T>
  bool pod(T& v) { return bytes(&v, sizeof v); }
  template <typename T>
  bool array(std::vector<T>& v) {
    uint64_t n = 0;
    if (!pod(n) || n > left_ / sizeof(T)) return ok_ = false;
    v.resize(n);
    return bytes(v.data(), n * sizeof(T));
  }
  bool string(std::string& s) {
    uint64_t n = 0;
    if (!pod(n) || n > left_) return ok_ = false;
    s.resize(n);
    return bytes(s.data(), n);
  }
  bool at_end() const { return ok_ && left_ == 0; }

 private:
  bool bytes(void* to, uint64_t n) {
    if (!ok_ || n > left_) return ok_ = false;
    in_.read(static_cast<char*>(to), static_cast<std::streamsize>(n));
    left_ -= n;
    return ok_ = in_.good() || n == 0;
  }
  std::ifstream in_;
  uint64_t left_ = 0;
  bool ok_ = false;
};

// A varint that must end before `end`; false when it does not or has more than 32 bits.
bool checked_varint(const uint8_t*& p, const uint8_t* end, uint32_t& v) {
  v = 0;
  for (int shift = 0; shift < 35 && p < end; shift += 7) {
    const uint8_t b = *p++;
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

}  // namespace

void TermIndex::save(const fs::path& file, int64_t generation) const {
  const fs::path tmp = temp_beside(file);
  try {
    {
      Writer w(tmp);
      w.pod(kTag);
      w.array(ids_);
      w.array(length_);
      w.array(path_of_);
      w.pod(uint64_t{paths_.size()});
      for (const auto& p : paths_) w.string(p);
      w.pod(uint64_t{terms_.size()});
      for (const auto& [word, t] : terms_) {
        w.string(word);
        w.pod(t.offset), w.pod(t.length), w.pod(t.chunks);
      }
      w.array(bytes_);
      w.finish();
    }
    commit_saved(tmp, file, {{"generation", generation}, {"rows", ids_.size()}});
  } catch (const std::exception&) {
    std::error_code ec;
    fs::remove(tmp, ec);
  }
}

bool TermIndex::load(const fs::path& file, int64_t generation) {
  const auto meta = read_saved_meta(file);
  if (!meta || meta->value("generation", int64_t{-1}) != generation) return false;
  Reader r(file);
  char tag[sizeof kTag] = {};
  bool ok = r.pod(tag) && std::equal(tag, tag + sizeof tag, kTag) && r.array(ids_) && r.array(length_) &&
            r.array(path_of_) && length_.size() == ids_.size() && path_of_.size() == ids_.size();
  uint64_t count = 0;
  ok = ok && r.pod(count);
  for (uint64_t i = 0; ok && i < count; ++i) ok = r.string(paths_.emplace_back());
  for (uint32_t p : path_of_) ok = ok && p < paths_.size();
  ok = ok && r.pod(count);
  std::vector<std::pair<std::string, Term>> terms;
  for (uint64_t i = 0; ok && i < count; ++i) {
    auto& [word, t] = terms.emplace_back();
    ok = r.string(word) && r.pod(t.offset) && r.pod(t.length) && r.pod(t.chunks);
  }
  ok = ok && r.array(bytes_) && r.at_end();
  // Every posting decodes inside its term's bytes and names a row that exists.
  uint64_t total_length = 0, postings = 0;
  for (uint32_t len : length_) total_length += len;
  for (const auto& [word, t] : terms) {
    if (!ok || t.offset > bytes_.size() || t.length > bytes_.size() - t.offset) {
      ok = false;
      break;
    }
    const uint8_t *p = bytes_.data() + t.offset, *end = p + t.length;
    uint64_t row = 0, seen = 0;
    for (uint32_t gap, tf; ok && p < end; ++seen) {
      ok = checked_varint(p, end, gap) && checked_varint(p, end, tf) && (row += gap) < ids_.size() &&
           (seen == 0 || gap > 0);
    }
    ok = ok && seen == t.chunks;
    postings += seen;
  }
  ok = ok && meta->value("rows", uint64_t{0}) == ids_.size();
  if (!ok) {
    *this = TermIndex();
    return false;
  }
  terms_.reserve(terms.size());
  for (auto& [word, t] : terms) terms_.emplace(std::move(word), t);
  postings_ = postings;
  mean_length_ = ids_.empty() ? 0 : static_cast<double>(total_length) / static_cast<double>(ids_.size());
  return true;
}

}  // namespace airlock::rag
