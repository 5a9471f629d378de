#include "store/imatrix.h"

#include <airlock/error.h>

#include <cmath>
#include <cstring>

#include "store/durable_file.h"

namespace airlock::store {

namespace {

// Longer than any tensor name GGUF allows; a bigger length is corruption, not a name.
constexpr int32_t kMaxName = 4096;

class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, const std::string& what) : bytes_(bytes), what_(what) {}

  size_t left() const { return bytes_.size() - pos_; }

  int32_t i32(const char* field) {
    need(4, field);
    int32_t v;
    std::memcpy(&v, bytes_.data() + pos_, 4);
    pos_ += 4;
    return v;
  }

  std::string text(size_t n, const char* field) {
    need(n, field);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }

  void floats(float* out, size_t n, const char* field) {
    need(n * sizeof(float), field);
    std::memcpy(out, bytes_.data() + pos_, n * sizeof(float));
    pos_ += n * sizeof(float);
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(what_ + ": not an importance matrix llama-imatrix wrote: " + problem + " (at byte " +
                std::to_string(pos_) + ")");
  }

 private:
  void need(size_t n, const char* field) const {
    if (n > left())
      fail(std::string(field) + " needs " + std::to_string(n) + " bytes, the file has " + std::to_string(left()) +
           " left");
  }

  std::span<const uint8_t> bytes_;
  const std::string& what_;
  size_t pos_ = 0;
};

}  // namespace

ImportanceMatrix parse_imatrix(std::span<const uint8_t> bytes, const std::string& what) {
  Reader r(bytes, what);
  ImportanceMatrix m;
  const int32_t n_entries = r.i32("entry count");
  // Each entry takes at least 16 bytes (three counts, a name byte, a value): a larger count than
  // the file can hold is rejected before the loop rather than discovered at its end.
  if (n_entries < 1 || static_cast<uint64_t>(n_entries) > r.left() / 16)
    r.fail("entry count " + std::to_string(n_entries) + " for a file of " + std::to_string(bytes.size()) + " bytes");
  for (int32_t i = 0; i < n_entries; ++i) {
    const int32_t len = r.i32("name length");
    if (len < 1 || len > kMaxName) r.fail("entry " + std::to_string(i) + " has a name of " + std::to_string(len) + " bytes");
    std::string name = r.text(static_cast<size_t>(len), "name");
    if (name.find('\0') != std::string::npos) r.fail("entry " + std::to_string(i) + " has a NUL byte in its name");
    const int32_t ncall = r.i32("call count");
    if (ncall < 0) r.fail(name + " has a negative call count " + std::to_string(ncall));
    const int32_t nval = r.i32("value count");
    if (nval < 1 || static_cast<uint64_t>(nval) > r.left() / sizeof(float))
      r.fail(name + " has " + std::to_string(nval) + " values, more than the file holds or none");
    std::vector<float> values(static_cast<size_t>(nval));
    r.floats(values.data(), values.size(), "values");
    // The reference divides by the call count when it has one, giving the mean square.
    if (ncall > 0)
      for (float& v : values) v /= static_cast<float>(ncall);
    for (float v : values)
      if (!std::isfinite(v)) r.fail(name + " has a value that is not finite");
    if (!m.entries.emplace(std::move(name), std::move(values)).second) r.fail("a tensor name appears twice");
  }
  // Newer files end with the chunk count and the dataset's name; older ones stop here.
  if (r.left() > 0) {
    m.chunks = r.i32("chunk count");
    if (m.chunks < 0) r.fail("negative chunk count " + std::to_string(m.chunks));
    const int32_t len = r.i32("dataset name length");
    if (len < 0 || static_cast<size_t>(len) > r.left()) r.fail("dataset name of " + std::to_string(len) + " bytes");
    m.dataset = r.text(static_cast<size_t>(len), "dataset name");
    if (r.left() > 0) r.fail(std::to_string(r.left()) + " bytes after the dataset name");
  }
  return m;
}

ImportanceMatrix load_imatrix(const std::filesystem::path& path) {
  const std::string bytes = read_small_file(path, size_t{2} << 30);
  return parse_imatrix({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, path.string());
}

}  // namespace airlock::store
