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
#include "gguf/value.h"
#include "tensor/type_traits.h"

namespace airlock::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
inline constexpr uint32_t kVersion = 3;          // what the writer produces
inline constexpr uint64_t kDefaultAlignment = 32;
inline constexpr uint64_t kMaxAlignment = 1u << 20;
inline constexpr int kMaxDims = 4;
inline constexpr int kMaxArrayNesting = 8;

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
  // Where the tensor data section of the first part starts (after the directory and its
  // alignment padding).
  uint64_t data_offset() const { return data_offset_; }

  const std::vector<KeyValue>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;
  // Typed lookups: nullopt when the key is absent or holds another type.
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  // Typed arrays: nullopt when the key is absent; airlock::Error naming the file and key when it
  // is not an array of that kind (integers must also fit the target type).
  std::optional<std::vector<std::string>> get_strings(std::string_view key) const;
  std::optional<std::vector<float>> get_floats(std::string_view key) const;
  std::optional<std::vector<int32_t>> get_int32s(std::string_view key) const;
  // The array itself (no copy), or nullptr when absent; airlock::Error when not an array.
  const Array* get_array(std::string_view key) const;
  // general.architecture, or "" when absent.
  std::string architecture() const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* tensor(std::string_view name) const;

 private:
  File() = default;
  void index();
  template <typename T, typename Convert>
  std::optional<T> get_typed_array(std::string_view key, Convert convert) const;

  std::filesystem::path path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t file_size_ = 0;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kv_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::unordered_map<std::string, size_t> tensor_index_;
  std::vector<std::unique_ptr<MappedFile>> parts_;
};

}  // namespace airlock::gguf
