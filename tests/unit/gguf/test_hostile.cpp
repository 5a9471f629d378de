// Corrupt and hostile GGUF files, each assembled byte by byte (or made by corrupting a valid
// writer output). Every one must be refused with an airlock::Error whose single line names the
// file and the specific problem; none may crash, hang or allocate out of proportion.
#include <gtest/gtest.h>

#include <cstring>

#include "airlock/error.h"
#include "gguf/gguf.h"
#include "gguf/writer.h"
#include "gguf_test_util.h"

using namespace airlock;
using namespace airlock::gguf;
namespace gguf_test = airlock::gguf_test;

namespace {

// Little-endian byte assembler for hand-made GGUF files.
struct Bytes {
  std::vector<uint8_t> b;
  template <typename T>
  Bytes& put(T v) {
    uint8_t x[sizeof(T)];
    std::memcpy(x, &v, sizeof(T));
    b.insert(b.end(), x, x + sizeof(T));
    return *this;
  }
  Bytes& u8(uint8_t v) { return put(v); }
  Bytes& u32(uint32_t v) { return put(v); }
  Bytes& u64(uint64_t v) { return put(v); }
  Bytes& i64(int64_t v) { return put(v); }
  Bytes& str(std::string_view s) {
    u64(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    u32(kMagic).u32(version).u64(n_tensors).u64(n_kv);
    return *this;
  }
  Bytes& kv_u32(std::string_view key, uint32_t v) { return str(key).u32(4).u32(v); }
  Bytes& kv_str(std::string_view key, std::string_view v) { return str(key).u32(8).str(v); }
  // A tensor directory entry with dims ne (ne[0] first).
  Bytes& tensor(std::string_view name, std::vector<int64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (int64_t d : ne) i64(d);
    return u32(type).u64(offset);
  }
  Bytes& pad_to(size_t a) {
    while (b.size() % a) b.push_back(0);
    return *this;
  }
  Bytes& zeros(size_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
};

class Hostile : public ::testing::Test {
 protected:
  std::filesystem::path file(const std::string& name) const { return dir_ / name; }

  // Writes the bytes as NAME.gguf and checks that opening (and parsing in memory) fails with a one
  // line message naming the file and containing `needle`.
  void expect_rejected(const std::vector<uint8_t>& bytes, const std::string& needle) {
    const std::string name = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".gguf";
    const auto path = dir_ / name;
    gguf_test::write_bytes(path, bytes);
    expect_open_fails(path, needle);
    try {
      File::parse(bytes.data(), bytes.size(), name);
      ADD_FAILURE() << "parse accepted " << name;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(name + ": ", 0), 0u) << e.what();
    }
  }

  void expect_open_fails(const std::filesystem::path& path, const std::string& needle) {
    try {
      File::open(path);
      ADD_FAILURE() << "accepted " << path << "; expected: " << needle;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path.filename().string()), std::string::npos) << "message does not name the file: " << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << "expected '" << needle << "' in: " << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
    }
  }

  // A valid file with two metadata keys and one q8_0 tensor, made by our writer.
  std::vector<uint8_t> valid_file(WriteOptions opt = {}, const std::string& name = "valid.gguf") {
    std::vector<TensorToWrite> t(2);
    t[0] = {"a", TensorType::Q8_0, {32, 2}, q8_, {}};
    t[1] = {"b", TensorType::Q8_0, {32, 2}, q8_, {}};
    write_file(dir_ / name, {{"general.architecture", Value::of_string("llama")}, {"x", Value::of_u32(7)}}, t, opt);
    return opt.split_count > 1 ? std::vector<uint8_t>{} : gguf_test::read_bytes(dir_ / name);
  }

  gguf_test::ScratchDir scratch_;
  std::filesystem::path dir_ = scratch_.path();
  std::vector<uint8_t> q8_ = std::vector<uint8_t>(68, 0x11);
};

// Offset of the first occurrence of `needle` in `hay`.
size_t find_bytes(const std::vector<uint8_t>& hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end());
  EXPECT_NE(it, hay.end()) << needle;
  return static_cast<size_t>(it - hay.begin());
}

TEST_F(Hostile, EmptyFile) { expect_rejected({}, "not a GGUF file: only 0 bytes"); }

TEST_F(Hostile, BadMagic) {
  auto b = valid_file();
  b[0] = 'X';
  expect_rejected(b, "not a GGUF file (bad magic)");
}

TEST_F(Hostile, Version1) { expect_rejected(Bytes().header(0, 0, 1).b, "GGUF v1 is not supported"); }

TEST_F(Hostile, BigEndian) {
  Bytes b;
  b.u32(kMagic).u32(0x03000000u).u64(0).u64(0);
  expect_rejected(b.b, "unsupported GGUF version 50331648 (a big-endian file?");
}

TEST_F(Hostile, UnknownVersion) { expect_rejected(Bytes().header(0, 0, 4).b, "unsupported GGUF version 4"); }

TEST_F(Hostile, VersionCorruptedInWriterOutput) {
  auto b = valid_file();
  b[4] = 9;
  expect_rejected(b, "unsupported GGUF version 9");
}

// A file with two metadata keys cut short inside every field of its header and metadata.
TEST_F(Hostile, TruncatedAtEveryMetadataField) {
  Bytes full;
  full.header(0, 2).kv_str("general.architecture", "llama");  // ends at 69
  full.str("tokens").u32(9).u32(8).u64(2).str("ab").str("c");  // ends at 118
  ASSERT_EQ(full.b.size(), 118u);
  const std::vector<std::pair<size_t, std::string>> cuts = {
      {2, "only 2 bytes"},
      {6, "truncated: file ends at offset 6 while reading version"},
      {12, "while reading tensor count"},
      {20, "while reading metadata count"},
      {40, "metadata count 2 cannot fit in the file"},
      {50, "string length 20 of metadata key 0 at offset 24 runs past the end of the file (18 bytes left)"},
      {54, "while reading value type of metadata key 'general.architecture'"},
      {60, "while reading metadata key 'general.architecture' length"},
      {66, "string length 5 of metadata key 'general.architecture'"},
      {72, "while reading metadata key 1 length"},
      {80, "string length 6 of metadata key 1"},
      {85, "while reading value type of metadata key 'tokens'"},
      {89, "while reading metadata key 'tokens' array element type"},
      {95, "while reading metadata key 'tokens' array length"},
      {108, "metadata key 'tokens': array of 2 string elements cannot fit in the 9 bytes left"},
      {116, "while reading metadata key 'tokens' item 1 length"},
      {117, "string length 1 of metadata key 'tokens' item 1"},
  };
  for (const auto& [cut, needle] : cuts) {
    SCOPED_TRACE(cut);
    const auto path = file("cut" + std::to_string(cut) + ".gguf");
    gguf_test::write_bytes(path, std::vector<uint8_t>(full.b.begin(), full.b.begin() + cut));
    expect_open_fails(path, needle);
  }
  gguf_test::write_bytes(file("whole.gguf"), full.b);
  EXPECT_EQ(File::open(file("whole.gguf"))->get_strings("tokens"), (std::vector<std::string>{"ab", "c"}));
}

// A file with one q8_0 tensor cut short inside every field of its directory and in its data.
TEST_F(Hostile, TruncatedAtEveryTensorField) {
  Bytes full;
  full.header(1, 0).tensor("tok", {32, 2}, 8, 0).pad_to(32);  // directory ends at 67, data at 96
  full.zeros(68).pad_to(32);
  ASSERT_EQ(full.b.size(), 192u);
  const std::vector<std::pair<size_t, std::string>> cuts = {
      {40, "tensor count 1 cannot fit in the file"},
      {50, "while reading dimension 1 of tensor 'tok'"},
      {57, "while reading type of tensor 'tok'"},
      {63, "while reading data offset of tensor 'tok'"},
      {80, "tensor data section starts past the end of the file"},
      {150, "tensor 'tok' data (68 bytes at data offset 0) runs past the end of the file (data section holds 54 bytes)"},
  };
  for (const auto& [cut, needle] : cuts) {
    SCOPED_TRACE(cut);
    const auto path = file("cut" + std::to_string(cut) + ".gguf");
    gguf_test::write_bytes(path, std::vector<uint8_t>(full.b.begin(), full.b.begin() + cut));
    expect_open_fails(path, needle);
  }
}

// Every proper prefix of a valid writer output is refused cleanly (no crash, no success).
TEST_F(Hostile, TruncatedAtEveryByte) {
  const auto b = valid_file();
  const size_t tensors_end = b.size() - 32 + 4;  // the last tensor's 68 bytes end 28 bytes before the padded end
  for (size_t cut = 0; cut < tensors_end; ++cut) {
    SCOPED_TRACE(cut);
    EXPECT_THROW(File::parse(b.data(), cut, "prefix.gguf"), Error);
  }
}

TEST_F(Hostile, HugeStringLength) {
  expect_rejected(Bytes().header(0, 1).u64(1ull << 63).zeros(16).b,
                  "string length 9223372036854775808 of metadata key 0 at offset 24 runs past the end");
}

TEST_F(Hostile, HugeArrayCount) {
  expect_rejected(Bytes().header(0, 1).str("a").u32(9).u32(0).u64(1ull << 62).zeros(8).b,
                  "metadata key 'a': array of 4611686018427387904 uint8 elements cannot fit in the 8 bytes left");
}

TEST_F(Hostile, HugeStringArrayCount) {
  expect_rejected(Bytes().header(0, 1).str("tokens").u32(9).u32(8).u64(1000).str("x").b,
                  "array of 1000 string elements cannot fit in the 9 bytes left");
}

TEST_F(Hostile, ArrayNestingTooDeep) {
  Bytes b;
  b.header(0, 1).str("deep").u32(9);
  for (int k = 0; k < 9; ++k) b.u32(9).u64(1);  // nine arrays, each holding the next
  b.u32(0).u64(0);
  expect_rejected(b.b, "metadata key 'deep': arrays nested deeper than 8");
}

TEST_F(Hostile, UnknownValueType) {
  expect_rejected(Bytes().header(0, 1).str("k").u32(13).zeros(16).b, "metadata key 'k' has unknown value type 13");
}

TEST_F(Hostile, UnknownArrayElementType) {
  expect_rejected(Bytes().header(0, 1).str("k").u32(9).u32(99).u64(0).b,
                  "metadata key 'k': unknown array element type 99");
}

TEST_F(Hostile, BadBool) {
  expect_rejected(Bytes().header(0, 1).str("flag").u32(7).u8(2).zeros(8).b,
                  "metadata key 'flag': bool value 2 is not 0 or 1");
}

TEST_F(Hostile, BadBoolInArray) {
  expect_rejected(Bytes().header(0, 1).str("flags").u32(9).u32(7).u64(3).u8(1).u8(0).u8(255).b,
                  "metadata key 'flags': bool value 255 is not 0 or 1");
}

TEST_F(Hostile, DuplicateKey) {
  expect_rejected(Bytes().header(0, 2).kv_u32("a", 1).kv_u32("a", 2).b, "metadata key 'a' appears twice");
}

TEST_F(Hostile, AlignmentWrongType) {
  expect_rejected(Bytes().header(0, 1).str("general.alignment").u32(10).u64(32).b,
                  "general.alignment must be uint32, not uint64");
}

TEST_F(Hostile, AlignmentZero) {
  expect_rejected(Bytes().header(0, 1).kv_u32("general.alignment", 0).b,
                  "general.alignment 0 is not a power of two");
}

TEST_F(Hostile, AlignmentNotPowerOfTwo) {
  expect_rejected(Bytes().header(0, 1).kv_u32("general.alignment", 48).b,
                  "general.alignment 48 is not a power of two");
}

TEST_F(Hostile, AlignmentTooLarge) {
  expect_rejected(Bytes().header(0, 1).kv_u32("general.alignment", 1u << 31).b,
                  "general.alignment 2147483648 is not a power of two up to 1 MiB");
}

TEST_F(Hostile, ZeroDimensions) {
  expect_rejected(Bytes().header(1, 0).tensor("t", {}, 0, 0).zeros(64).b, "tensor 't' has 0 dimensions");
}

TEST_F(Hostile, FiveDimensions) {
  expect_rejected(Bytes().header(1, 0).tensor("t", {1, 1, 1, 1, 1}, 0, 0).zeros(64).b,
                  "tensor 't' has 5 dimensions (1 to 4 allowed)");
}

TEST_F(Hostile, NegativeDimension) {
  expect_rejected(Bytes().header(1, 0).tensor("t", {4, -2}, 0, 0).zeros(64).b,
                  "tensor 't' has negative dimension -2");
}

TEST_F(Hostile, ElementCountOverflow) {
  expect_rejected(Bytes().header(1, 0).tensor("t", {1ll << 40, 1ll << 40}, 0, 0).zeros(64).b,
                  "tensor 't': element count overflows");
}

TEST_F(Hostile, ByteSizeOverflow) {
  // 2^62 f32 elements are countable, but 2^64 bytes are not.
  expect_rejected(Bytes().header(1, 0).tensor("t", {1ll << 31, 1ll << 31}, 0, 0).zeros(64).b,
                  "tensor 't': byte size overflows");
}

TEST_F(Hostile, UnknownTensorType) {
  expect_rejected(Bytes().header(1, 0).tensor("t", {32}, 1000, 0).zeros(64).b,
                  "tensor 't' has unknown tensor type 1000");
}

TEST_F(Hostile, RetiredTensorType) {
  // 4 was Q4_2, removed from GGML.
  expect_rejected(Bytes().header(1, 0).tensor("t", {32}, 4, 0).zeros(64).b, "tensor 't' has unknown tensor type 4");
}

TEST_F(Hostile, RowNotMultipleOfBlockSize) {
  expect_rejected(Bytes().header(1, 0).tensor("t", {16, 2}, 8, 0).zeros(64).b,
                  "tensor 't': row length 16 is not a multiple of the q8_0 block size 32");
}

TEST_F(Hostile, MisalignedOffset) {
  expect_rejected(Bytes().header(1, 0).tensor("t", {2}, 0, 8).pad_to(32).zeros(64).b,
                  "tensor 't': data offset 8 is not aligned to 32");
}

TEST_F(Hostile, TensorDataPastEnd) {
  expect_rejected(Bytes().header(1, 0).tensor("t", {8}, 0, 1ull << 40).pad_to(32).zeros(64).b,
                  "tensor 't' data (32 bytes at data offset 1099511627776) runs past the end of the file");
}

TEST_F(Hostile, OffsetPlusSizeWraps) {
  expect_rejected(Bytes().header(1, 0).tensor("t", {64}, 0, ~0ull - 31).pad_to(32).zeros(64).b,
                  "runs past the end of the file");
}

TEST_F(Hostile, OverlappingTensors) {
  expect_rejected(Bytes().header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).pad_to(32).zeros(96).b,
                  "tensors 'a' and 'b' overlap");
}

TEST_F(Hostile, OverlapAcrossAnEmptyTensor) {
  // 'a' covers [0, 128); the empty 'z' at 32 sits between it and 'b' at 64.
  expect_rejected(Bytes()
                      .header(3, 0)
                      .tensor("a", {32}, 0, 0)
                      .tensor("z", {0}, 0, 32)
                      .tensor("b", {8}, 0, 64)
                      .pad_to(32)
                      .zeros(128)
                      .b,
                  "tensors 'a' and 'b' overlap");
}

TEST_F(Hostile, DuplicateTensorNames) {
  expect_rejected(Bytes().header(2, 0).tensor("t", {8}, 0, 0).tensor("t", {8}, 0, 32).pad_to(32).zeros(64).b,
                  "tensor 't' appears twice");
}

TEST_F(Hostile, EmptyTensorName) {
  expect_rejected(Bytes().header(1, 0).tensor("", {8}, 0, 0).pad_to(32).zeros(32).b, "tensor 0 has an empty name");
}

TEST_F(Hostile, TensorCountBeyondFile) {
  expect_rejected(Bytes().header(1000, 0).tensor("t", {8}, 0, 0).pad_to(32).zeros(32).b,
                  "tensor count 1000 cannot fit in the file");
}

TEST_F(Hostile, TensorCountClaimsMoreThanDirectoryHolds) {
  // Three tensors claimed, one described; what follows (0xFF data) is read as the second entry.
  Bytes b;
  b.header(3, 0).tensor("t", {8}, 0, 0);
  b.b.insert(b.b.end(), 64, 0xFF);
  expect_rejected(b.b, "string length 18446744073709551615 of name of tensor 1");
}

TEST_F(Hostile, MetadataCountBeyondFile) {
  expect_rejected(Bytes().header(0, 1ull << 60).kv_u32("a", 1).b, "metadata count 1152921504606846976 cannot fit");
}

TEST_F(Hostile, SplitPartMissing) {
  WriteOptions opt;
  opt.split_count = 2;
  std::vector<TensorToWrite> t(2);
  t[0] = {"a", TensorType::Q8_0, {32, 2}, q8_, {}};
  t[1] = {"b", TensorType::Q8_0, {32, 2}, q8_, {}};
  write_file(file("m.gguf"), {}, t, opt);
  std::filesystem::remove(file("m-00002-of-00002.gguf"));
  expect_open_fails(file("m-00001-of-00002.gguf"), "split part m-00002-of-00002.gguf is missing");
}

TEST_F(Hostile, SplitCountMismatch) {
  WriteOptions opt;
  opt.split_count = 2;
  valid_file(opt, "m.gguf");
  // The parts say split.count 2; renamed, their names say 1.
  std::filesystem::rename(file("m-00001-of-00002.gguf"), file("m-00001-of-00001.gguf"));
  expect_open_fails(file("m-00001-of-00001.gguf"), "split.count says 2 but the file name says 1 part(s)");
  // A first part renamed to a plain name is not silently read as a whole model.
  std::filesystem::rename(file("m-00001-of-00001.gguf"), file("plain.gguf"));
  expect_open_fails(file("plain.gguf"), "split.count says 2 but the file name says 1 part(s)");
}

TEST_F(Hostile, SplitPartsSwapped) {
  WriteOptions opt;
  opt.split_count = 2;
  valid_file(opt, "m.gguf");
  std::filesystem::copy_file(file("m-00002-of-00002.gguf"), file("n-00001-of-00002.gguf"));
  std::filesystem::copy_file(file("m-00001-of-00002.gguf"), file("n-00002-of-00002.gguf"));
  expect_open_fails(file("n-00001-of-00002.gguf"), "n-00001-of-00002.gguf: split.no is not 0");
}

TEST_F(Hostile, SplitTensorCountMismatch) {
  WriteOptions opt;
  opt.split_count = 2;
  valid_file(opt, "m.gguf");
  auto b = gguf_test::read_bytes(file("m-00001-of-00002.gguf"));
  const size_t at = find_bytes(b, "split.tensors.count") + std::strlen("split.tensors.count") + 4;
  b[at] = 5;  // the int32 value right after the key and its type
  gguf_test::write_bytes(file("m-00001-of-00002.gguf"), b);
  expect_open_fails(file("m-00001-of-00002.gguf"), "split.tensors.count says 5 tensors, the parts hold 2");
}

TEST_F(Hostile, NotAFile) {
  std::filesystem::create_directory(file("folder.gguf"));
  expect_open_fails(file("folder.gguf"), "not a regular file");
}

TEST_F(Hostile, MissingFile) { expect_open_fails(file("absent.gguf"), "cannot open: No such file or directory"); }

}  // namespace
