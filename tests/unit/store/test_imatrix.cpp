// The importance-matrix reader (store/imatrix.h) on files built here byte by byte in llama-imatrix's
// layout: what it keeps from a good file, and a clear airlock::Error for each way a hostile or
// damaged one can lie about its counts and lengths.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "airlock/error.h"
#include "store/imatrix.h"

namespace airlock::store {
namespace {

class Bytes {
 public:
  Bytes& i32(int32_t v) { return raw(&v, 4); }
  Bytes& str(const std::string& s) { return raw(s.data(), s.size()); }
  Bytes& f32(float v) { return raw(&v, 4); }
  Bytes& entry(const std::string& name, int32_t ncall, const std::vector<float>& values) {
    i32(static_cast<int32_t>(name.size())).str(name).i32(ncall).i32(static_cast<int32_t>(values.size()));
    for (float v : values) f32(v);
    return *this;
  }
  ImportanceMatrix parse() const { return parse_imatrix(b_, "test.imatrix"); }
  std::vector<uint8_t> b_;

 private:
  Bytes& raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), c, c + n);
    return *this;
  }
};

// The message must name the file and say what is wrong.
void expect_refused(const Bytes& b, const std::string& words) {
  try {
    b.parse();
    ADD_FAILURE() << "accepted; expected an error about " << words;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("test.imatrix"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(Imatrix, ReadsEntriesDividedByTheirCallCountAndTheTrailer) {
  Bytes b;
  b.i32(2).entry("blk.0.attn_q.weight", 4, {8.f, 2.f, 1.f}).entry("blk.0.ffn_down.weight", 0, {3.f, 5.f});
  b.i32(12).i32(9).str("wiki.text");
  const ImportanceMatrix m = b.parse();
  ASSERT_EQ(m.entries.size(), 2u);
  EXPECT_EQ(m.entries.at("blk.0.attn_q.weight"), (std::vector<float>{2.f, 0.5f, 0.25f}));
  // A call count of 0 leaves the sums as they are, as llama-quantize does.
  EXPECT_EQ(m.entries.at("blk.0.ffn_down.weight"), (std::vector<float>{3.f, 5.f}));
  EXPECT_EQ(m.chunks, 12);
  EXPECT_EQ(m.dataset, "wiki.text");
}

TEST(Imatrix, OlderFilesWithoutTheTrailerAreRead) {
  Bytes b;
  b.i32(1).entry("output.weight", 1, {1.f});
  const ImportanceMatrix m = b.parse();
  EXPECT_EQ(m.chunks, 0);
  EXPECT_TRUE(m.dataset.empty());
  EXPECT_EQ(m.entries.at("output.weight"), std::vector<float>{1.f});
}

TEST(Imatrix, RefusesLyingCountsAndLengths) {
  expect_refused(Bytes{}, "entry count needs 4 bytes");
  expect_refused(Bytes{}.i32(0), "entry count 0");
  expect_refused(Bytes{}.i32(-3), "entry count -3");
  // Two billion entries in a file of a few bytes must not reserve or loop before failing.
  expect_refused(Bytes{}.i32(std::numeric_limits<int32_t>::max()).entry("a", 1, {1.f}), "entry count");
  expect_refused(Bytes{}.i32(1).i32(-1).str("abcdefghijklmnop"), "name of -1 bytes");
  expect_refused(Bytes{}.i32(1).i32(1 << 30).str("abcdefghijklmnop"), "name of 1073741824 bytes");
  expect_refused(Bytes{}.i32(1).i32(40).str("abcdefghijklmnop"), "name needs 40 bytes");
  expect_refused(Bytes{}.i32(1).i32(3).str(std::string("a\0b", 3)).i32(1).i32(1).f32(1.f), "NUL byte");
  expect_refused(Bytes{}.i32(1).i32(1).str("a").i32(-2).i32(1).f32(1.f), "negative call count");
  expect_refused(Bytes{}.i32(1).i32(1).str("a").i32(1).i32(0).f32(1.f), "0 values");
  expect_refused(Bytes{}.i32(1).i32(1).str("a").i32(1).i32(1 << 28).f32(1.f), "268435456 values");
  Bytes two;
  two.i32(2).entry("a", 1, {1.f}).entry("a", 1, {2.f});
  expect_refused(two, "appears twice");
}

TEST(Imatrix, RefusesValuesThatAreNotFinite) {
  expect_refused(Bytes{}.i32(1).entry("a", 1, {1.f, std::nanf("")}), "not finite");
  expect_refused(Bytes{}.i32(1).entry("a", 1, {std::numeric_limits<float>::infinity()}), "not finite");
}

TEST(Imatrix, RefusesABrokenTrailer) {
  Bytes base;
  base.i32(1).entry("a", 1, {1.f});
  expect_refused(Bytes(base).i32(3), "dataset name length needs 4 bytes");
  expect_refused(Bytes(base).i32(3).i32(100).str("x"), "dataset name of 100 bytes");
  expect_refused(Bytes(base).i32(-1).i32(1).str("x"), "negative chunk count");
  expect_refused(Bytes(base).i32(3).i32(1).str("xyz"), "2 bytes after the dataset name");
}

TEST(Imatrix, LoadNamesAMissingFile) {
  try {
    load_imatrix("/nonexistent/dir/x.imatrix");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.imatrix"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace airlock::store
