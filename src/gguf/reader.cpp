// Parsing of GGUF images. The file is hostile until proven otherwise: every count is checked
// against the bytes that remain before anything is allocated, so a corrupt header cannot make us
// allocate more than the file itself could describe, and no check is worse than linear.
#include <algorithm>
#include <cstring>
#include <limits>
#include <regex>
#include <type_traits>
#include <unordered_set>

#include "airlock/error.h"
#include "gguf/gguf.h"

namespace airlock::gguf {

namespace {

// Entries reserved up front from a claimed count. A KeyValue is ~14x the 13 bytes it needs on disk,
// so the count alone must not size an allocation; beyond this, vectors grow as entries parse.
constexpr uint64_t kReserveLimit = 4096;

// Smallest number of bytes one array element of this type can occupy, so that a claimed count can
// be checked against the remaining bytes before we reserve memory for it.
uint64_t min_element_bytes(ValueType t) {
  if (t == ValueType::STRING) return 8;   // length
  if (t == ValueType::ARRAY) return 12;   // element type + count
  return scalar_size(t);
}

// Descriptions of what is being read are only built when a read fails: a vocabulary is read
// 150k strings at a time.
template <typename D>
std::string describe(const D& d) {
  if constexpr (std::is_invocable_v<D>) return d();
  else return std::string(d);
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, std::string name) : p_(data), size_(size), name_(std::move(name)) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(name_ + ": " + what); }

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  template <typename T, typename D>
  T read(const D& what) {
    if (remaining() < sizeof(T))
      fail("truncated: file ends at offset " + std::to_string(size_) + " while reading " + describe(what));
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  template <typename D>
  std::string_view read_string(const D& what) {
    uint64_t len = read<uint64_t>([&] { return describe(what) + " length"; });
    if (len > remaining())
      fail("string length " + std::to_string(len) + " of " + describe(what) + " at offset " + std::to_string(pos_ - 8) +
           " runs past the end of the file (" + std::to_string(remaining()) + " bytes left)");
    std::string_view s(reinterpret_cast<const char*>(p_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return s;
  }

  Value read_value(ValueType type, const std::string& key, int depth) {
    const std::string what = "metadata key '" + key + "'";
    if (type == ValueType::STRING) return Value::of_string(std::string(read_string(what)));
    if (type == ValueType::ARRAY) return Value::of_array(read_array(key, depth));
    const size_t n = scalar_size(type);
    if (remaining() < n) fail("truncated: file ends at offset " + std::to_string(size_) + " while reading " + what);
    Array one(type);
    one.append_raw(p_ + pos_, 1);
    check_bools(one, key);
    pos_ += n;
    return one[0];
  }

  Array read_array(const std::string& key, int depth) {
    const std::string what = "metadata key '" + key + "'";
    if (depth >= kMaxArrayNesting)
      fail(what + ": arrays nested deeper than " + std::to_string(kMaxArrayNesting));
    uint32_t et = read<uint32_t>(what + " array element type");
    if (!is_valid_value_type(et)) fail(what + ": unknown array element type " + std::to_string(et));
    Array a(static_cast<ValueType>(et));
    uint64_t n = read<uint64_t>(what + " array length");
    if (n > remaining() / min_element_bytes(a.elem_type()))
      fail(what + ": array of " + std::to_string(n) + " " + value_type_name(a.elem_type()) +
           " elements cannot fit in the " + std::to_string(remaining()) + " bytes left");
    if (const size_t sz = scalar_size(a.elem_type())) {
      a.append_raw(p_ + pos_, static_cast<size_t>(n));
      pos_ += n * sz;
      check_bools(a, key);
    } else if (a.elem_type() == ValueType::STRING) {
      // Strings are at least 8 bytes each on disk, so this reserve is bounded by the file size.
      a.reserve(static_cast<size_t>(n), 0);
      for (uint64_t k = 0; k < n; ++k) a.append_string(read_string([&] { return what + " item " + std::to_string(k); }));
    } else {
      for (uint64_t k = 0; k < n; ++k) a.push(Value::of_array(read_array(key, depth + 1)));
    }
    return a;
  }

 private:
  void check_bools(const Array& a, const std::string& key) const {
    if (a.elem_type() != ValueType::BOOL) return;
    for (size_t k = 0; k < a.size(); ++k)
      if (a.raw_bytes()[k] > 1)
        fail("metadata key '" + key + "': bool value " + std::to_string(a.raw_bytes()[k]) + " is not 0 or 1");
  }

  const uint8_t* p_;
  size_t size_;
  size_t pos_ = 0;
  std::string name_;
};

struct Image {
  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t data_offset = 0;
  std::vector<KeyValue> kv;
  std::vector<TensorInfo> tensors;
};

void read_header(Reader& r, Image& img, uint64_t& n_tensors, uint64_t& n_kv, size_t size) {
  if (size < 4) r.fail("not a GGUF file: only " + std::to_string(size) + " bytes");
  uint32_t magic = r.read<uint32_t>("magic");
  if (magic != kMagic) r.fail("not a GGUF file (bad magic)");
  img.version = r.read<uint32_t>("version");
  if (img.version == 1) r.fail("GGUF v1 is not supported (convert the model to v3)");
  if (img.version != 2 && img.version != 3) {
    // A big-endian writer stores version 3 as 0x03000000.
    std::string hint = (img.version & 0xFFFF) == 0 ? " (a big-endian file? only little-endian is supported)" : "";
    r.fail("unsupported GGUF version " + std::to_string(img.version) + hint);
  }
  n_tensors = r.read<uint64_t>("tensor count");
  n_kv = r.read<uint64_t>("metadata count");
  // Each key/value needs at least 8 (key length) + 4 (type) + 1 bytes; each tensor record at least
  // 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset).
  if (n_kv > r.remaining() / 13) r.fail("metadata count " + std::to_string(n_kv) + " cannot fit in the file");
  if (n_tensors > r.remaining() / 24) r.fail("tensor count " + std::to_string(n_tensors) + " cannot fit in the file");
}

void read_metadata(Reader& r, Image& img, uint64_t n_kv) {
  std::unordered_set<std::string> seen;
  img.kv.reserve(static_cast<size_t>(std::min<uint64_t>(n_kv, kReserveLimit)));
  for (uint64_t k = 0; k < n_kv; ++k) {
    KeyValue kv;
    kv.key = r.read_string("metadata key " + std::to_string(k));
    uint32_t t = r.read<uint32_t>("value type of metadata key '" + kv.key + "'");
    if (!is_valid_value_type(t)) r.fail("metadata key '" + kv.key + "' has unknown value type " + std::to_string(t));
    kv.value = r.read_value(static_cast<ValueType>(t), kv.key, 0);
    if (!seen.insert(kv.key).second) r.fail("metadata key '" + kv.key + "' appears twice");
    if (kv.key == "general.alignment") {
      if (kv.value.type != ValueType::UINT32)
        r.fail("general.alignment must be uint32, not " + std::string(value_type_name(kv.value.type)));
      uint64_t a = kv.value.u;
      if (a == 0 || (a & (a - 1)) != 0 || a > kMaxAlignment)
        r.fail("general.alignment " + std::to_string(a) + " is not a power of two up to 1 MiB");
      img.alignment = a;
    }
    img.kv.push_back(std::move(kv));
  }
}

TensorInfo read_tensor_info(Reader& r, uint64_t k, uint64_t alignment) {
  TensorInfo ti;
  ti.name = r.read_string("name of tensor " + std::to_string(k));
  if (ti.name.empty()) r.fail("tensor " + std::to_string(k) + " has an empty name");
  const std::string what = "tensor '" + ti.name + "'";
  ti.n_dims = r.read<uint32_t>("dimension count of " + what);
  if (ti.n_dims == 0 || ti.n_dims > kMaxDims)
    r.fail(what + " has " + std::to_string(ti.n_dims) + " dimensions (1 to 4 allowed)");
  int64_t n = 1;
  for (uint32_t d = 0; d < ti.n_dims; ++d) {
    int64_t ne = r.read<int64_t>("dimension " + std::to_string(d) + " of " + what);
    if (ne < 0) r.fail(what + " has negative dimension " + std::to_string(ne));
    ti.ne[d] = ne;
    if (__builtin_mul_overflow(n, ne, &n)) r.fail(what + ": element count overflows");
  }
  uint32_t raw_type = r.read<uint32_t>("type of " + what);
  const TypeTraits* tr = find_type_traits(raw_type);
  if (!tr) r.fail(what + " has unknown tensor type " + std::to_string(raw_type));
  ti.type = tr->type;
  if (ti.ne[0] % tr->block_size != 0)
    r.fail(what + ": row length " + std::to_string(ti.ne[0]) + " is not a multiple of the " + tr->name +
           " block size " + std::to_string(tr->block_size));
  uint64_t blocks = static_cast<uint64_t>(n / tr->block_size);
  if (__builtin_mul_overflow(blocks, static_cast<uint64_t>(tr->type_size), &ti.nbytes))
    r.fail(what + ": byte size overflows");
  ti.offset = r.read<uint64_t>("data offset of " + what);
  if (ti.offset % alignment != 0)
    r.fail(what + ": data offset " + std::to_string(ti.offset) + " is not aligned to " + std::to_string(alignment));
  return ti;
}

// Places every tensor in the data section and rejects data past the end or shared by two tensors.
void locate_tensors(Reader& r, Image& img, const uint8_t* data, size_t size) {
  if (img.data_offset > size) r.fail("tensor data section starts past the end of the file");
  const uint64_t data_size = size - img.data_offset;
  for (auto& ti : img.tensors) {
    uint64_t end;
    if (__builtin_add_overflow(ti.offset, ti.nbytes, &end) || end > data_size)
      r.fail("tensor '" + ti.name + "' data (" + std::to_string(ti.nbytes) + " bytes at data offset " +
             std::to_string(ti.offset) + ") runs past the end of the file (data section holds " +
             std::to_string(data_size) + " bytes): truncated?");
    ti.data = data + img.data_offset + ti.offset;
  }
  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(img.tensors.size());
  for (const auto& ti : img.tensors)
    if (ti.nbytes > 0) by_offset.push_back(&ti);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  // Compare each tensor with the one reaching furthest so far, so an overlap is found even when a
  // smaller tensor sits between the two.
  const TensorInfo* furthest = nullptr;
  for (const auto* t : by_offset) {
    if (furthest && furthest->offset + furthest->nbytes > t->offset)
      r.fail("tensors '" + furthest->name + "' and '" + t->name + "' overlap");
    if (!furthest || t->offset + t->nbytes > furthest->offset + furthest->nbytes) furthest = t;
  }
}

Image parse_image(const uint8_t* data, size_t size, const std::string& name) {
  Reader r(data, size, name);
  Image img;
  uint64_t n_tensors = 0, n_kv = 0;
  read_header(r, img, n_tensors, n_kv, size);
  read_metadata(r, img, n_kv);
  img.tensors.reserve(static_cast<size_t>(std::min<uint64_t>(n_tensors, kReserveLimit)));
  std::unordered_set<std::string_view> names;
  for (uint64_t k = 0; k < n_tensors; ++k) img.tensors.push_back(read_tensor_info(r, k, img.alignment));
  for (const auto& ti : img.tensors)
    if (!names.insert(ti.name).second) r.fail("tensor '" + ti.name + "' appears twice");
  // The data section starts at the next multiple of the alignment after the tensor directory.
  img.data_offset = (r.pos() + img.alignment - 1) / img.alignment * img.alignment;
  if (!img.tensors.empty()) locate_tensors(r, img, data, size);
  return img;
}

std::string str(const std::filesystem::path& p) { return p.string(); }

}  // namespace

std::unique_ptr<File> File::parse(const uint8_t* data, size_t size, const std::string& name) {
  Image img = parse_image(data, size, name);
  std::unique_ptr<File> f(new File());
  f->path_ = name;
  f->version_ = img.version;
  f->alignment_ = img.alignment;
  f->file_size_ = size;
  f->data_offset_ = img.data_offset;
  f->kv_ = std::move(img.kv);
  f->tensors_ = std::move(img.tensors);
  f->index();
  return f;
}

std::unique_ptr<File> File::open(const std::filesystem::path& path) {
  // NAME-00001-of-00003.gguf: read every part, in order, as one model.
  static const std::regex split_re(R"((.*)-(\d{5})-of-(\d{5})\.gguf)");
  std::smatch m;
  const std::string fname = path.filename().string();
  std::vector<std::filesystem::path> paths{path};
  if (std::regex_match(fname, m, split_re)) {
    int count = std::stoi(m[3].str());
    if (count < 1) throw Error(str(path) + ": split count 0 in file name");
    paths.clear();
    for (int k = 1; k <= count; ++k) {
      char suffix[32];
      std::snprintf(suffix, sizeof suffix, "-%05d-of-%05d.gguf", k, count);
      paths.push_back(path.parent_path() / (m[1].str() + suffix));
    }
  }

  std::unique_ptr<File> f(new File());
  f->path_ = paths.front();
  for (size_t k = 0; k < paths.size(); ++k) {
    if (paths.size() > 1 && !std::filesystem::exists(paths[k]))
      throw Error(str(path) + ": split part " + paths[k].filename().string() + " is missing");
    auto part = std::make_unique<MappedFile>(paths[k]);
    Image img = parse_image(part->data(), part->size(), str(paths[k]));
    f->file_size_ += part->size();
    // Every part of a split model says which part it is; a stray or reordered part is an error.
    for (const auto& kv : img.kv)
      if (kv.key == "split.no" && paths.size() > 1 &&
          (!kv.value.is_integer() || kv.value.as_int() != static_cast<int64_t>(k)))
        throw Error(str(paths[k]) + ": split.no is not " + std::to_string(k) + " as the file name says");
    if (k == 0) {
      f->version_ = img.version;
      f->alignment_ = img.alignment;
      f->data_offset_ = img.data_offset;
      f->kv_ = std::move(img.kv);
    }
    for (auto& ti : img.tensors) {
      ti.split = static_cast<uint32_t>(k);
      f->tensors_.push_back(std::move(ti));
    }
    f->parts_.push_back(std::move(part));
  }
  f->index();
  const auto count = f->get_int("split.count");
  if (paths.size() > 1 || (count && *count > 1)) {
    if (!count || *count != static_cast<int64_t>(paths.size()))
      throw Error(str(path) + ": split.count says " + (count ? std::to_string(*count) : "nothing") +
                  " but the file name says " + std::to_string(paths.size()) + " part(s)");
    if (auto t = f->get_int("split.tensors.count"); t && *t != static_cast<int64_t>(f->tensors_.size()))
      throw Error(str(path) + ": split.tensors.count says " + std::to_string(*t) + " tensors, the parts hold " +
                  std::to_string(f->tensors_.size()));
  }
  return f;
}

void File::index() {
  for (size_t k = 0; k < kv_.size(); ++k) kv_index_.emplace(kv_[k].key, k);
  for (size_t k = 0; k < tensors_.size(); ++k) {
    if (!tensor_index_.emplace(tensors_[k].name, k).second)
      throw Error(str(path_) + ": tensor '" + tensors_[k].name + "' appears twice");
  }
}

const Value* File::find(std::string_view key) const {
  auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kv_[it->second].value;
}

std::optional<std::string> File::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v || v->type != ValueType::STRING) return std::nullopt;
  return v->s;
}

std::optional<int64_t> File::get_int(std::string_view key) const {
  const Value* v = find(key);
  if (!v || !v->is_integer()) return std::nullopt;
  if (v->type == ValueType::UINT64 && v->u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  return v->as_int();
}

std::optional<double> File::get_float(std::string_view key) const {
  const Value* v = find(key);
  if (!v || !(v->is_float() || v->is_integer())) return std::nullopt;
  if (v->type == ValueType::UINT64 && v->u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return static_cast<double>(v->u);
  return v->as_float();
}

std::optional<bool> File::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (!v || v->type != ValueType::BOOL) return std::nullopt;
  return v->u != 0;
}

const Array* File::get_array(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return nullptr;
  if (v->type != ValueType::ARRAY)
    throw Error(str(path_) + ": metadata key '" + std::string(key) + "' is a " + value_type_name(v->type) +
                ", expected an array");
  return &v->arr;
}

template <typename T, typename Convert>
std::optional<T> File::get_typed_array(std::string_view key, Convert convert) const {
  const Array* a = get_array(key);
  if (!a) return std::nullopt;
  try {
    return convert(*a);
  } catch (const Error& e) {
    throw Error(str(path_) + ": metadata key '" + std::string(key) + "': " + e.what());
  }
}

std::optional<std::vector<std::string>> File::get_strings(std::string_view key) const {
  return get_typed_array<std::vector<std::string>>(key, [](const Array& a) { return a.strings(); });
}

std::optional<std::vector<float>> File::get_floats(std::string_view key) const {
  return get_typed_array<std::vector<float>>(key, [](const Array& a) { return a.floats(); });
}

std::optional<std::vector<int32_t>> File::get_int32s(std::string_view key) const {
  return get_typed_array<std::vector<int32_t>>(key, [](const Array& a) { return a.int32s(); });
}

std::string File::architecture() const { return get_string("general.architecture").value_or(""); }

const TensorInfo* File::tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace airlock::gguf
