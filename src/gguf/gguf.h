// GGUF model files (v2 and v3): metadata and tensor directory, parsed with every length, count and
// offset checked against the file, and tensor data accessed in place from a memory mapping.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gguf/mapped_file.h"
#include "tensor/type_traits.h"

namespace airlock::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
inline constexpr uint64_t kDefaultAlignment = 32;
inline constexpr int kMaxDims = 4;

enum class ValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char* value_type_name(ValueType t);

// One metadata value. Integers of every width are held in `u`/`i`, floats in `f`; an array holds
// its element type and items (arrays may nest).
struct Value {
  ValueType type = ValueType::UINT8;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string s;
  ValueType elem_type = ValueType::UINT8;
  std::vector<Value> arr;

  bool is_integer() const;
  bool is_float() const { return type == ValueType::FLOAT32 || type == ValueType::FLOAT64; }
  // Typed views; each throws airlock::Error if the value is not of that kind.
  int64_t as_int() const;       // any integer type (uint64 above INT64_MAX is an error)
  double as_float() const;      // float or integer
  bool as_bool() const;
  const std::string& as_string() const;
  const std::vector<Value>& as_array() const;

  static Value of_string(std::string v);
  static Value of_u32(uint32_t v);
  static Value of_i32(int32_t v);
  static Value of_u64(uint64_t v);
  static Value of_f32(float v);
  static Value of_bool(bool v);
  static Value of_array(ValueType elem, std::vector<Value> items);
};

struct TensorInfo {
  std::string name;
  uint32_t n_dims = 0;
  std::array<int64_t, kMaxDims> ne{1, 1, 1, 1};  // ne[0] is the contiguous (row) dimension
  TensorType type = TensorType::F32;
  uint64_t offset = 0;         // from the start of its file's data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // into the mapping; valid while the File lives
  uint32_t split = 0;             // which file of a split model holds it

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
};

struct KeyValue {
  std::string key;
  Value value;
};

// A parsed GGUF model: one file, or all parts of a split model (NAME-00001-of-0000N.gguf) read as
// one. Metadata comes from the first part; tensors from all parts.
class File {
 public:
  // Opens and validates. Throws airlock::Error with one line naming the file and the problem.
  static std::unique_ptr<File> open(const std::filesystem::path& path);
  // Parses a single in-memory image (no split handling); used by the fuzzer and tests.
  // The bytes must outlive the File.
  static std::unique_ptr<File> parse(const uint8_t* data, size_t size, const std::string& name);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::filesystem::path& path() const { return path_; }
  size_t split_count() const { return parts_.empty() ? 1 : parts_.size(); }
  // Total bytes of all parts.
  uint64_t file_size() const { return file_size_; }

  const std::vector<KeyValue>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  // general.architecture, or "" when absent.
  std::string architecture() const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* tensor(std::string_view name) const;

 private:
  File() = default;
  void index();

  std::filesystem::path path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t file_size_ = 0;
  std::vector<KeyValue> kv_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::unordered_map<std::string, size_t> tensor_index_;
  std::vector<std::unique_ptr<MappedFile>> parts_;
};

}  // namespace airlock::gguf
