#include "gguf/writer.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "airlock/error.h"
#include "gguf/atomic_file.h"

namespace airlock::gguf {

namespace {

constexpr uint32_t kMaxSplitCount = 99999;  // five digits in the part names
const char* const kSplitKeys[] = {"split.no", "split.count", "split.tensors.count"};

// Serialises the header, metadata and tensor directory of one file into memory (tensor data is
// streamed separately).
class Encoder {
 public:
  template <typename T>
  void put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.insert(out.end(), b, b + sizeof(T));
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  void put_value(const Value& v) {
    switch (v.type) {
      case ValueType::STRING: put_string(v.s); return;
      case ValueType::ARRAY: put_array(v.arr); return;
      default: {
        Array one(v.type);
        one.push(v);
        out.insert(out.end(), one.raw_bytes().begin(), one.raw_bytes().end());
      }
    }
  }
  void put_array(const Array& a) {
    put<uint32_t>(static_cast<uint32_t>(a.elem_type()));
    put<uint64_t>(a.size());
    if (a.elem_type() == ValueType::STRING) {
      for (size_t k = 0; k < a.size(); ++k) put_string(a.string_at(k));
    } else if (a.elem_type() == ValueType::ARRAY) {
      for (size_t k = 0; k < a.size(); ++k) put_array(a.array_at(k).arr);
    } else {
      out.insert(out.end(), a.raw_bytes().begin(), a.raw_bytes().end());
    }
  }

  std::vector<uint8_t> out;
};

struct Planned {
  const TensorToWrite* src;
  uint64_t nbytes = 0;
  uint64_t offset = 0;  // within its part's data section
};

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

uint64_t checked_nbytes(const std::filesystem::path& path, const TensorToWrite& t) {
  const std::string what = path.string() + ": tensor '" + t.name + "'";
  if (t.dims.empty() || t.dims.size() > static_cast<size_t>(kMaxDims))
    throw Error(what + " has " + std::to_string(t.dims.size()) + " dimensions (1 to 4 allowed)");
  int64_t n = 1;
  for (int64_t d : t.dims) {
    if (d < 0) throw Error(what + " has negative dimension " + std::to_string(d));
    if (__builtin_mul_overflow(n, d, &n)) throw Error(what + ": element count overflows");
  }
  const TypeTraits& tr = type_traits(t.type);
  if (t.dims[0] % tr.block_size != 0)
    throw Error(what + ": row length " + std::to_string(t.dims[0]) + " is not a multiple of the " + tr.name +
                " block size " + std::to_string(tr.block_size));
  uint64_t nbytes;
  if (__builtin_mul_overflow(static_cast<uint64_t>(n / tr.block_size), static_cast<uint64_t>(tr.type_size), &nbytes))
    throw Error(what + ": byte size overflows");
  if (!t.fill && t.data.size() != nbytes)
    throw Error(what + ": " + std::to_string(t.data.size()) + " bytes given, its shape and type need " +
                std::to_string(nbytes));
  return nbytes;
}

uint64_t checked_alignment(const std::filesystem::path& path, const std::vector<KeyValue>& metadata) {
  std::unordered_set<std::string_view> keys;
  uint64_t alignment = kDefaultAlignment;
  for (const auto& kv : metadata) {
    if (!keys.insert(kv.key).second) throw Error(path.string() + ": metadata key '" + kv.key + "' given twice");
    if (kv.key != "general.alignment") continue;
    if (kv.value.type != ValueType::UINT32)
      throw Error(path.string() + ": general.alignment must be uint32, not " + value_type_name(kv.value.type));
    alignment = kv.value.u;
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > kMaxAlignment)
      throw Error(path.string() + ": general.alignment " + std::to_string(alignment) +
                  " is not a power of two up to 1 MiB");
  }
  return alignment;
}

bool is_split_key(const std::string& key) {
  for (const char* k : kSplitKeys)
    if (key == k) return true;
  return false;
}

// Streams one tensor's bytes into the file, holding the producer to the promised size.
void write_tensor_data(AtomicFile& out, const std::filesystem::path& path, const Planned& p) {
  if (!p.src->fill) {
    out.write(p.src->data.data(), p.src->data.size());
    return;
  }
  uint64_t produced = 0;
  const std::string what = path.string() + ": tensor '" + p.src->name + "'";
  p.src->fill([&](const void* data, size_t n) {
    if (n > p.nbytes - produced)
      throw Error(what + ": fill produced more than its " + std::to_string(p.nbytes) + " bytes");
    produced += n;
    out.write(data, n);
  });
  if (produced != p.nbytes)
    throw Error(what + ": fill produced " + std::to_string(produced) + " of its " + std::to_string(p.nbytes) +
                " bytes");
}

}  // namespace

std::filesystem::path split_path(const std::filesystem::path& path, uint32_t k, uint32_t n) {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "-%05u-of-%05u.gguf", k + 1, n);
  return path.parent_path() / (path.stem().string() + suffix);
}

std::vector<std::filesystem::path> write_file(const std::filesystem::path& path, const std::vector<KeyValue>& metadata,
                                              const std::vector<TensorToWrite>& tensors,
                                              const WriteOptions& options) {
  const uint32_t n_parts = options.split_count;
  if (n_parts < 1 || n_parts > kMaxSplitCount)
    throw Error(path.string() + ": split count " + std::to_string(n_parts) + " is not between 1 and 99999");
  if (n_parts > 1 && n_parts > tensors.size())
    throw Error(path.string() + ": cannot split " + std::to_string(tensors.size()) + " tensors into " +
                std::to_string(n_parts) + " parts");
  const uint64_t alignment = checked_alignment(path, metadata);

  std::vector<Planned> plan;
  plan.reserve(tensors.size());
  std::unordered_set<std::string_view> names;
  for (const auto& t : tensors) {
    if (t.name.empty()) throw Error(path.string() + ": a tensor has an empty name");
    if (!names.insert(t.name).second) throw Error(path.string() + ": tensor '" + t.name + "' given twice");
    plan.push_back({&t, checked_nbytes(path, t), 0});
  }

  // Stale split keys from a model that was read split are dropped; fresh ones describe this write.
  std::vector<KeyValue> first_meta;
  for (const auto& kv : metadata)
    if (!is_split_key(kv.key)) first_meta.push_back(kv);

  std::vector<std::unique_ptr<AtomicFile>> files;
  std::vector<std::filesystem::path> paths;
  for (uint32_t k = 0; k < n_parts; ++k) {
    const size_t begin = tensors.size() * k / n_parts, end = tensors.size() * (k + 1) / n_parts;
    std::vector<KeyValue> meta;
    if (n_parts > 1) {
      if (k == 0) meta = first_meta;
      else if (const auto* a = std::find_if(metadata.data(), metadata.data() + metadata.size(),
                                            [](const KeyValue& kv) { return kv.key == "general.alignment"; });
               a != metadata.data() + metadata.size())
        meta.push_back(*a);  // later parts need it to be parsed at the same alignment
      meta.push_back({"split.no", Value::of_u16(static_cast<uint16_t>(k))});
      meta.push_back({"split.count", Value::of_u16(static_cast<uint16_t>(n_parts))});
      meta.push_back({"split.tensors.count", Value::of_i32(static_cast<int32_t>(tensors.size()))});
    }
    const std::vector<KeyValue>& part_meta = n_parts > 1 ? meta : first_meta;
    const auto part_path = n_parts > 1 ? split_path(path, k, n_parts) : path;

    Encoder enc;
    enc.put<uint32_t>(kMagic);
    enc.put<uint32_t>(kVersion);
    enc.put<uint64_t>(end - begin);
    enc.put<uint64_t>(part_meta.size());
    for (const auto& kv : part_meta) {
      enc.put_string(kv.key);
      enc.put<uint32_t>(static_cast<uint32_t>(kv.value.type));
      enc.put_value(kv.value);
    }
    uint64_t offset = 0;
    for (size_t t = begin; t < end; ++t) {
      Planned& p = plan[t];
      p.offset = offset;
      offset = align_up(offset + p.nbytes, alignment);
      enc.put_string(p.src->name);
      enc.put<uint32_t>(static_cast<uint32_t>(p.src->dims.size()));
      for (int64_t d : p.src->dims) enc.put<int64_t>(d);
      enc.put<uint32_t>(static_cast<uint32_t>(p.src->type));
      enc.put<uint64_t>(p.offset);
    }

    auto out = std::make_unique<AtomicFile>(part_path);
    out->write(enc.out.data(), enc.out.size());
    if (begin < end || options.pad_without_tensors) out->pad_to(alignment);
    for (size_t t = begin; t < end; ++t) {
      write_tensor_data(*out, part_path, plan[t]);
      out->pad_to(alignment);
    }
    out->finish();
    files.push_back(std::move(out));
    paths.push_back(part_path);
  }
  for (auto& f : files) f->publish();
  return paths;
}

}  // namespace airlock::gguf
