// Builds small GGUF images in memory, so tests can hand the model loader exactly the (possibly
// hostile) metadata and tensors they want. F32 tensors only, filled with a deterministic pattern.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace airlock::testing {

class GgufBuilder {
 public:
  GgufBuilder& u32(const std::string& key, uint32_t v) { return kv(key, 4, &v, 4); }
  GgufBuilder& f32(const std::string& key, float v) { return kv(key, 6, &v, 4); }
  GgufBuilder& str(const std::string& key, const std::string& v) {
    std::vector<uint8_t> bytes;
    put_string(bytes, v);
    return kv(key, 8, bytes.data(), bytes.size());
  }
  // A tensor of shape ne (ne[0] contiguous), values sin(seed + i) * scale.
  GgufBuilder& tensor(const std::string& name, std::vector<int64_t> ne, float scale = 0.5f) {
    tensors_.push_back({name, std::move(ne), scale});
    return *this;
  }
  GgufBuilder& remove(const std::string& name) {
    for (size_t i = 0; i < tensors_.size(); ++i)
      if (tensors_[i].name == name) tensors_.erase(tensors_.begin() + static_cast<long>(i));
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == name) {
        keys_.erase(keys_.begin() + static_cast<long>(i));
        kvs_.erase(kvs_.begin() + static_cast<long>(i));
      }
    return *this;
  }

  std::vector<uint8_t> build() const {
    std::vector<uint8_t> out;
    put(out, uint32_t{0x46554747});
    put(out, uint32_t{3});
    put(out, static_cast<uint64_t>(tensors_.size()));
    put(out, static_cast<uint64_t>(kvs_.size()));
    for (const auto& kv : kvs_) out.insert(out.end(), kv.begin(), kv.end());
    uint64_t offset = 0;
    std::vector<uint64_t> offsets;
    for (const auto& t : tensors_) {
      put_string(out, t.name);
      put(out, static_cast<uint32_t>(t.ne.size()));
      uint64_t n = 1;
      for (int64_t d : t.ne) {
        put(out, static_cast<uint64_t>(d));
        n *= static_cast<uint64_t>(d);
      }
      put(out, uint32_t{0});  // F32
      put(out, offset);
      offsets.push_back(offset);
      offset = align(offset + n * 4);
    }
    out.resize(align(out.size()), 0);
    const size_t data_start = out.size();
    out.resize(data_start + offset, 0);
    for (size_t i = 0; i < tensors_.size(); ++i) {
      uint64_t n = 1;
      for (int64_t d : tensors_[i].ne) n *= static_cast<uint64_t>(d);
      for (uint64_t j = 0; j < n; ++j) {
        const float v = std::sin(static_cast<float>(i * 7 + j) * 0.37f) * tensors_[i].scale;
        std::memcpy(out.data() + data_start + offsets[i] + j * 4, &v, 4);
      }
    }
    return out;
  }

 private:
  struct Tensor {
    std::string name;
    std::vector<int64_t> ne;
    float scale;
  };
  static uint64_t align(uint64_t x) { return (x + 31) / 32 * 32; }
  template <class T>
  static void put(std::vector<uint8_t>& out, T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out.insert(out.end(), p, p + sizeof v);
  }
  static void put_string(std::vector<uint8_t>& out, const std::string& s) {
    put(out, static_cast<uint64_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  GgufBuilder& kv(const std::string& key, uint32_t type, const void* v, size_t n) {
    remove(key);
    std::vector<uint8_t> e;
    put_string(e, key);
    put(e, type);
    const auto* p = static_cast<const uint8_t*>(v);
    e.insert(e.end(), p, p + n);
    keys_.push_back(key);
    kvs_.push_back(std::move(e));
    return *this;
  }

  std::vector<std::string> keys_;
  std::vector<std::vector<uint8_t>> kvs_;
  std::vector<Tensor> tensors_;
};

}  // namespace airlock::testing
