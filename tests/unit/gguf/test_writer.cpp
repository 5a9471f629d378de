#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "airlock/error.h"
#include "gguf/gguf.h"
#include "gguf/writer.h"
#include "gguf_test_util.h"
#include "support/fixtures.h"

using namespace airlock;
using namespace airlock::gguf;
namespace gguf_test = airlock::gguf_test;
using gguf_test::ScratchDir;

namespace {

// Index of the first differing byte, or -1.
int64_t first_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  if (std::memcmp(a.data(), b.data(), n) == 0) return a.size() == b.size() ? -1 : static_cast<int64_t>(n);
  for (size_t k = 0; k < n; ++k)
    if (a[k] != b[k]) return static_cast<int64_t>(k);
  return -1;  // unreachable: memcmp found a difference
}

std::vector<KeyValue> every_value_type() {
  Array nested(ValueType::ARRAY);
  nested.push(Value::of_i32s({1, -2, 3}));
  nested.push(Value::of_strings({"x", "", "yz"}));
  nested.push(Value::of_array(Array(ValueType::BOOL)));
  return {
      {"general.architecture", Value::of_string("llama")},
      {"u8", Value::of_u8(200)},           {"i8", Value::of_i8(-100)},
      {"u16", Value::of_u16(60000)},       {"i16", Value::of_i16(-30000)},
      {"u32", Value::of_u32(4000000000u)}, {"i32", Value::of_i32(-2000000000)},
      {"u64", Value::of_u64(~0ull)},       {"i64", Value::of_i64(INT64_MIN)},
      {"f32", Value::of_f32(0.1f)},        {"f64", Value::of_f64(1e300)},
      {"bool", Value::of_bool(true)},      {"empty string", Value::of_string("")},
      {"tokens", Value::of_strings({"<s>", "\xe2\x96\x81hello", std::string("a\0b", 3)})},
      {"scores", Value::of_f32s({0.5f, -1.25f})},
      {"bools", Value::of_array(ValueType::BOOL, {Value::of_bool(true), Value::of_bool(false)})},
      {"u64s", Value::of_array(ValueType::UINT64, {Value::of_u64(1), Value::of_u64(~0ull)})},
      {"nested", Value::of_array(std::move(nested))},
  };
}

}  // namespace

// Reading each reference file and writing it back must reproduce it exactly: same metadata order
// and encoding, same directory, same padding, same tensor bytes.
TEST(GgufWriter, FixturesRoundTripByteIdentical) {
  AIRLOCK_REQUIRE_FIXTURES();
  ScratchDir dir;
  int n = 0;
  for (const auto& src : gguf_test::fixture_ggufs()) {
    SCOPED_TRACE(src.string());
    auto f = File::open(src);
    WriteOptions opt;
    // Vocab-only files from gguf-py end right after the directory; llama.cpp pads them.
    opt.pad_without_tensors = f->file_size() >= f->data_offset();
    const auto out = dir / src.filename().string();
    write_file(out, f->metadata(), gguf_test::tensors_of(*f), opt);
    const auto a = gguf_test::read_bytes(src), b = gguf_test::read_bytes(out);
    EXPECT_EQ(first_difference(a, b), -1) << "sizes " << a.size() << " vs " << b.size();
    std::filesystem::remove(out);
    ++n;
  }
  EXPECT_GE(n, 18);
}

TEST(GgufWriter, EveryValueTypeRoundTrips) {
  ScratchDir dir;
  const auto meta = every_value_type();
  std::vector<float> w(8);
  for (int k = 0; k < 8; ++k) w[k] = static_cast<float>(k) * 0.5f;
  std::vector<uint8_t> q(34, 0x5a);
  std::vector<TensorToWrite> tensors(2);
  tensors[0].name = "w";
  tensors[0].type = TensorType::F32;
  tensors[0].dims = {4, 2};
  tensors[0].data = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(w.data()), 32);
  tensors[1].name = "q";
  tensors[1].type = TensorType::Q8_0;
  tensors[1].dims = {32};
  tensors[1].fill = [&](const ByteSink& out) {
    out(q.data(), 10);  // in pieces, as a streaming producer would
    out(q.data() + 10, 24);
  };
  write_file(dir / "all.gguf", meta, tensors);

  auto f = File::open(dir / "all.gguf");
  EXPECT_EQ(f->version(), 3u);
  ASSERT_EQ(f->metadata().size(), meta.size());
  for (size_t k = 0; k < meta.size(); ++k) {
    EXPECT_EQ(f->metadata()[k].key, meta[k].key);
    EXPECT_TRUE(f->metadata()[k].value == meta[k].value) << meta[k].key;
  }
  EXPECT_EQ(f->get_int("i64"), INT64_MIN);
  EXPECT_EQ(f->get_float("f32"), static_cast<double>(0.1f));
  EXPECT_EQ(f->get_strings("tokens")->at(2), std::string("a\0b", 3));
  EXPECT_EQ(f->get_floats("scores"), (std::vector<float>{0.5f, -1.25f}));
  EXPECT_EQ(f->get_array("nested")->array_at(1).as_array().string_at(2), "yz");
  EXPECT_THROW(f->get_int32s("tokens"), Error);
  const auto* tw = f->tensor("w");
  ASSERT_TRUE(tw);
  EXPECT_EQ(std::memcmp(tw->data, w.data(), 32), 0);
  const auto* tq = f->tensor("q");
  ASSERT_TRUE(tq);
  EXPECT_EQ(tq->offset % 32, 0u);
  EXPECT_EQ(std::vector<uint8_t>(tq->data, tq->data + 34), q);
}

TEST(GgufWriter, HonoursAlignment) {
  ScratchDir dir;
  std::vector<uint8_t> a(4 * 3, 1), b(4 * 5, 2);
  std::vector<TensorToWrite> t(2);
  t[0] = {"a", TensorType::F32, {3}, a, {}};
  t[1] = {"b", TensorType::F32, {5}, b, {}};
  write_file(dir / "a.gguf", {{"general.alignment", Value::of_u32(256)}}, t);
  auto f = File::open(dir / "a.gguf");
  EXPECT_EQ(f->alignment(), 256u);
  EXPECT_EQ(f->data_offset() % 256, 0u);
  EXPECT_EQ(f->tensor("b")->offset, 256u);
  EXPECT_EQ(f->file_size() % 256, 0u);
  EXPECT_EQ(f->tensor("b")->data[19], 2);
}

TEST(GgufWriter, SplitReadsBackAsOneModel) {
  AIRLOCK_REQUIRE_FIXTURES();
  ScratchDir dir;
  auto src = File::open(fixtures::dir() / "models/stories260K.gguf");
  WriteOptions opt;
  opt.split_count = 3;
  const auto paths = write_file(dir / "stories.gguf", src->metadata(), gguf_test::tensors_of(*src), opt);
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"stories-00001-of-00003.gguf", "stories-00002-of-00003.gguf",
                                                     "stories-00003-of-00003.gguf"}));
  // Any part names the whole model.
  auto f = File::open(dir / "stories-00002-of-00003.gguf");
  EXPECT_EQ(f->split_count(), 3u);
  EXPECT_EQ(f->get_int("split.count"), 3);
  EXPECT_EQ(f->get_int("split.tensors.count"), static_cast<int64_t>(src->tensors().size()));
  ASSERT_EQ(f->tensors().size(), src->tensors().size());
  std::set<uint32_t> parts_used;
  for (size_t k = 0; k < src->tensors().size(); ++k) {
    const auto& a = src->tensors()[k];
    const auto* b = f->tensor(a.name);
    ASSERT_TRUE(b) << a.name;
    EXPECT_EQ(b->ne, a.ne);
    EXPECT_EQ(b->type, a.type);
    ASSERT_EQ(b->nbytes, a.nbytes);
    EXPECT_EQ(std::memcmp(a.data, b->data, a.nbytes), 0) << a.name;
    parts_used.insert(b->split);
  }
  EXPECT_EQ(parts_used.size(), 3u);
  // The original metadata comes back in order, followed by the split keys.
  for (size_t k = 0; k < src->metadata().size(); ++k) {
    EXPECT_EQ(f->metadata()[k].key, src->metadata()[k].key);
    EXPECT_TRUE(f->metadata()[k].value == src->metadata()[k].value);
  }

  // Writing the split model as one file gives the original back, byte for byte.
  write_file(dir / "joined.gguf", f->metadata(), gguf_test::tensors_of(*f));
  EXPECT_EQ(gguf_test::read_bytes(dir / "joined.gguf"), gguf_test::read_bytes(fixtures::dir() / "models/stories260K.gguf"));
}

TEST(GgufWriter, FailedWriteLeavesNothingBehind) {
  ScratchDir dir;
  const auto dest = dir / "model.gguf";
  gguf_test::write_bytes(dest, {'o', 'l', 'd'});
  std::vector<TensorToWrite> t(1);
  t[0].name = "t";
  t[0].dims = {8};
  t[0].fill = [](const ByteSink& out) {
    float x[4] = {};
    out(x, sizeof x);  // half of what 8 floats need
  };
  try {
    write_file(dest, {}, t);
    FAIL() << "short fill accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.gguf: tensor 't': fill produced 16 of its 32 bytes"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.gguf"});  // no temp file left
  EXPECT_EQ(gguf_test::read_bytes(dest), (std::vector<uint8_t>{'o', 'l', 'd'}));

  // A producer that throws midway also leaves the old file alone.
  t[0].fill = [](const ByteSink&) { throw Error("source went away"); };
  EXPECT_THROW(write_file(dest, {}, t), Error);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.gguf"});

  // A failing split write leaves no part behind: the second part's tensor is bad.
  std::vector<TensorToWrite> two(2);
  std::vector<uint8_t> ok(32);
  two[0] = {"a", TensorType::F32, {8}, ok, {}};
  two[1] = {"b", TensorType::F32, {8}, {}, [](const ByteSink&) {}};
  WriteOptions split;
  split.split_count = 2;
  EXPECT_THROW(write_file(dir / "s.gguf", {}, two, split), Error);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.gguf"});
}

TEST(GgufWriter, RejectsBadInput) {
  ScratchDir dir;
  std::vector<uint8_t> bytes(32);
  auto one = [&](std::vector<int64_t> dims, TensorType type = TensorType::F32) {
    std::vector<TensorToWrite> t(1);
    t[0] = {"t", type, std::move(dims), bytes, {}};
    return t;
  };
  auto expect_error = [&](const std::vector<KeyValue>& meta, const std::vector<TensorToWrite>& t,
                          const std::string& needle, WriteOptions opt = {}) {
    try {
      write_file(dir / "bad.gguf", meta, t, opt);
      ADD_FAILURE() << "accepted; expected: " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.gguf"), std::string::npos) << e.what();
    }
  };
  expect_error({}, one({4}), "32 bytes given, its shape and type need 16");
  expect_error({}, one({}), "0 dimensions");
  expect_error({}, one({8, 1, 1, 1, 1}), "5 dimensions");
  expect_error({}, one({-8}), "negative dimension");
  expect_error({}, one({16}, TensorType::Q8_0), "not a multiple of the q8_0 block size 32");
  expect_error({}, one({1ll << 40, 1ll << 40}), "element count overflows");
  auto dup = one({8});
  dup.push_back(dup[0]);
  expect_error({}, dup, "tensor 't' given twice");
  expect_error({{"k", Value::of_u8(1)}, {"k", Value::of_u8(2)}}, {}, "metadata key 'k' given twice");
  expect_error({{"general.alignment", Value::of_u32(48)}}, {}, "general.alignment 48 is not a power of two");
  expect_error({{"general.alignment", Value::of_u64(64)}}, {}, "general.alignment must be uint32");
  WriteOptions split;
  split.split_count = 2;
  expect_error({}, one({8}), "cannot split 1 tensors into 2 parts", split);
  EXPECT_TRUE(dir.entries().empty());
}
