// Parsing of GGUF images. The file is hostile until proven otherwise: every count is checked
// against the bytes that remain before anything is allocated, so a corrupt header cannot make us
// allocate more than the file itself could describe.
#include <algorithm>
#include <cstring>
#include <limits>
#include <regex>

#include "airlock/error.h"
#include "gguf/gguf.h"

namespace airlock::gguf {

namespace {

constexpr int kMaxArrayNesting = 8;
constexpr uint64_t kMaxAlignment = 1u << 20;

std::string hex_offset(uint64_t off) { return "offset " + std::to_string(off); }

// Smallest number of bytes one array element of this type can occupy, so that a claimed count can
// be checked against the remaining bytes before we reserve memory for it.
uint64_t min_element_bytes(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
    case ValueType::UINT16: case ValueType::INT16: return 2;
    case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
    case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
    case ValueType::STRING: return 8;
    case ValueType::ARRAY: return 12;
  }
  return 1;
}

bool valid_value_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::FLOAT64); }

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, std::string name) : p_(data), size_(size), name_(std::move(name)) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(name_ + ": " + what); }

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  template <typename T>
  T read(const char* what) {
    if (remaining() < sizeof(T))
      fail(std::string("truncated: file ends at ") + hex_offset(size_) + " while reading " + what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const char* what) {
    uint64_t len = read<uint64_t>(what);
    if (len > remaining())
      fail(std::string("string length ") + std::to_string(len) + " for " + what + " at " +
           hex_offset(pos_ - 8) + " runs past the end of the file (" + std::to_string(remaining()) +
           " bytes left)");
    std::string s(reinterpret_cast<const char*>(p_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return s;
  }

  Value read_value(ValueType type, const std::string& key, int depth) {
    Value v;
    v.type = type;
    switch (type) {
      case ValueType::UINT8: v.u = read<uint8_t>(key.c_str()); break;
      case ValueType::INT8: v.i = read<int8_t>(key.c_str()); break;
      case ValueType::UINT16: v.u = read<uint16_t>(key.c_str()); break;
      case ValueType::INT16: v.i = read<int16_t>(key.c_str()); break;
      case ValueType::UINT32: v.u = read<uint32_t>(key.c_str()); break;
      case ValueType::INT32: v.i = read<int32_t>(key.c_str()); break;
      case ValueType::UINT64: v.u = read<uint64_t>(key.c_str()); break;
      case ValueType::INT64: v.i = read<int64_t>(key.c_str()); break;
      case ValueType::FLOAT32: v.f = read<float>(key.c_str()); break;
      case ValueType::FLOAT64: v.f = read<double>(key.c_str()); break;
      case ValueType::BOOL: {
        uint8_t b = read<uint8_t>(key.c_str());
        if (b > 1) fail("metadata key '" + key + "': bool value " + std::to_string(b) + " is not 0 or 1");
        v.u = b;
        break;
      }
      case ValueType::STRING: v.s = read_string(key.c_str()); break;
      case ValueType::ARRAY: {
        if (depth >= kMaxArrayNesting)
          fail("metadata key '" + key + "': arrays nested deeper than " + std::to_string(kMaxArrayNesting));
        uint32_t et = read<uint32_t>(key.c_str());
        if (!valid_value_type(et))
          fail("metadata key '" + key + "': unknown array element type " + std::to_string(et));
        v.elem_type = static_cast<ValueType>(et);
        uint64_t n = read<uint64_t>(key.c_str());
        if (n > remaining() / min_element_bytes(v.elem_type))
          fail("metadata key '" + key + "': array of " + std::to_string(n) + " " +
               value_type_name(v.elem_type) + " elements cannot fit in the " + std::to_string(remaining()) +
               " bytes left");
        v.arr.reserve(static_cast<size_t>(n));
        for (uint64_t k = 0; k < n; ++k) v.arr.push_back(read_value(v.elem_type, key, depth + 1));
        break;
      }
    }
    return v;
  }

  const uint8_t* data() const { return p_; }
  size_t size() const { return size_; }
  const std::string& name() const { return name_; }

 private:
  const uint8_t* p_;
  size_t size_;
  size_t pos_ = 0;
  std::string name_;
};

struct Image {
  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  std::vector<KeyValue> kv;
  std::vector<TensorInfo> tensors;
};

Image parse_image(const uint8_t* data, size_t size, const std::string& name) {
  Reader r(data, size, name);
  if (size < 4) r.fail("not a GGUF file: only " + std::to_string(size) + " bytes");
  uint32_t magic = r.read<uint32_t>("magic");
  if (magic != kMagic) r.fail("not a GGUF file (bad magic)");
  Image img;
  img.version = r.read<uint32_t>("version");
  if (img.version == 1) r.fail("GGUF v1 is not supported (convert the model to v3)");
  if (img.version != 2 && img.version != 3) {
    std::string hint = (img.version & 0xFFFF) == 0 ? " (a big-endian file?)" : "";
    r.fail("unsupported GGUF version " + std::to_string(img.version) + hint);
  }
  uint64_t n_tensors = r.read<uint64_t>("tensor count");
  uint64_t n_kv = r.read<uint64_t>("metadata count");
  // Each key/value needs at least 8 (key length) + 4 (type) + 1 bytes; each tensor record at least
  // 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset).
  if (n_kv > r.remaining() / 13)
    r.fail("metadata count " + std::to_string(n_kv) + " cannot fit in the file");
  if (n_tensors > r.remaining() / 24)
    r.fail("tensor count " + std::to_string(n_tensors) + " cannot fit in the file");

  img.kv.reserve(static_cast<size_t>(n_kv));
  for (uint64_t k = 0; k < n_kv; ++k) {
    KeyValue kv;
    kv.key = r.read_string("metadata key");
    uint32_t t = r.read<uint32_t>("metadata value type");
    if (!valid_value_type(t))
      r.fail("metadata key '" + kv.key + "' has unknown value type " + std::to_string(t));
    kv.value = r.read_value(static_cast<ValueType>(t), kv.key, 0);
    for (const auto& prev : img.kv)
      if (prev.key == kv.key) r.fail("metadata key '" + kv.key + "' appears twice");
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

  img.tensors.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t k = 0; k < n_tensors; ++k) {
    TensorInfo ti;
    ti.name = r.read_string("tensor name");
    if (ti.name.empty()) r.fail("tensor " + std::to_string(k) + " has an empty name");
    const std::string what = "tensor '" + ti.name + "'";
    ti.n_dims = r.read<uint32_t>("tensor dimension count");
    if (ti.n_dims == 0 || ti.n_dims > kMaxDims)
      r.fail(what + " has " + std::to_string(ti.n_dims) + " dimensions (1 to 4 allowed)");
    int64_t n = 1;
    for (uint32_t d = 0; d < ti.n_dims; ++d) {
      int64_t ne = r.read<int64_t>("tensor dimension");
      if (ne < 0) r.fail(what + " has negative dimension " + std::to_string(ne));
      ti.ne[d] = ne;
      if (__builtin_mul_overflow(n, ne, &n)) r.fail(what + ": element count overflows");
    }
    uint32_t raw_type = r.read<uint32_t>("tensor type");
    const TypeTraits* tr = find_type_traits(raw_type);
    if (!tr) r.fail(what + " has unknown tensor type " + std::to_string(raw_type));
    ti.type = tr->type;
    if (ti.ne[0] % tr->block_size != 0)
      r.fail(what + ": row length " + std::to_string(ti.ne[0]) + " is not a multiple of the " + tr->name +
             " block size " + std::to_string(tr->block_size));
    uint64_t blocks = static_cast<uint64_t>(n / tr->block_size);
    if (__builtin_mul_overflow(blocks, static_cast<uint64_t>(tr->type_size), &ti.nbytes))
      r.fail(what + ": byte size overflows");
    ti.offset = r.read<uint64_t>("tensor offset");
    if (ti.offset % img.alignment != 0)
      r.fail(what + ": data offset " + std::to_string(ti.offset) + " is not aligned to " +
             std::to_string(img.alignment));
    img.tensors.push_back(std::move(ti));
  }

  if (img.tensors.empty()) return img;

  // The data section starts at the next multiple of the alignment after the tensor directory.
  uint64_t data_start = (r.pos() + img.alignment - 1) / img.alignment * img.alignment;
  if (data_start > size) r.fail("tensor data section starts past the end of the file");
  const uint64_t data_size = size - data_start;
  for (auto& ti : img.tensors) {
    uint64_t end;
    if (__builtin_add_overflow(ti.offset, ti.nbytes, &end) || end > data_size)
      r.fail("tensor '" + ti.name + "' data (" + std::to_string(ti.nbytes) + " bytes at data offset " +
             std::to_string(ti.offset) + ") runs past the end of the file: truncated?");
    ti.data = data + data_start + ti.offset;
  }
  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(img.tensors.size());
  for (const auto& ti : img.tensors) by_offset.push_back(&ti);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t k = 1; k < by_offset.size(); ++k) {
    const auto* a = by_offset[k - 1];
    const auto* b = by_offset[k];
    if (a->offset + a->nbytes > b->offset && a->nbytes > 0 && b->nbytes > 0)
      r.fail("tensors '" + a->name + "' and '" + b->name + "' overlap");
  }
  return img;
}

}  // namespace

const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::UINT8: return "uint8";
    case ValueType::INT8: return "int8";
    case ValueType::UINT16: return "uint16";
    case ValueType::INT16: return "int16";
    case ValueType::UINT32: return "uint32";
    case ValueType::INT32: return "int32";
    case ValueType::FLOAT32: return "float32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::UINT64: return "uint64";
    case ValueType::INT64: return "int64";
    case ValueType::FLOAT64: return "float64";
  }
  return "unknown";
}

bool Value::is_integer() const {
  switch (type) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::UINT16: case ValueType::INT16:
    case ValueType::UINT32: case ValueType::INT32: case ValueType::UINT64: case ValueType::INT64:
      return true;
    default:
      return false;
  }
}

int64_t Value::as_int() const {
  switch (type) {
    case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::BOOL:
      return static_cast<int64_t>(u);
    case ValueType::UINT64:
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) throw Error("uint64 value too large");
      return static_cast<int64_t>(u);
    case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64:
      return i;
    default:
      throw Error(std::string("expected an integer, found ") + value_type_name(type));
  }
}

double Value::as_float() const {
  if (is_float()) return f;
  if (is_integer()) return static_cast<double>(as_int());
  throw Error(std::string("expected a number, found ") + value_type_name(type));
}

bool Value::as_bool() const {
  if (type != ValueType::BOOL) throw Error(std::string("expected a bool, found ") + value_type_name(type));
  return u != 0;
}

const std::string& Value::as_string() const {
  if (type != ValueType::STRING) throw Error(std::string("expected a string, found ") + value_type_name(type));
  return s;
}

const std::vector<Value>& Value::as_array() const {
  if (type != ValueType::ARRAY) throw Error(std::string("expected an array, found ") + value_type_name(type));
  return arr;
}

Value Value::of_string(std::string v) { Value x; x.type = ValueType::STRING; x.s = std::move(v); return x; }
Value Value::of_u32(uint32_t v) { Value x; x.type = ValueType::UINT32; x.u = v; return x; }
Value Value::of_i32(int32_t v) { Value x; x.type = ValueType::INT32; x.i = v; return x; }
Value Value::of_u64(uint64_t v) { Value x; x.type = ValueType::UINT64; x.u = v; return x; }
Value Value::of_f32(float v) { Value x; x.type = ValueType::FLOAT32; x.f = v; return x; }
Value Value::of_bool(bool v) { Value x; x.type = ValueType::BOOL; x.u = v ? 1 : 0; return x; }
Value Value::of_array(ValueType elem, std::vector<Value> items) {
  Value x;
  x.type = ValueType::ARRAY;
  x.elem_type = elem;
  x.arr = std::move(items);
  return x;
}

std::unique_ptr<File> File::parse(const uint8_t* data, size_t size, const std::string& name) {
  Image img = parse_image(data, size, name);
  std::unique_ptr<File> f(new File());
  f->path_ = name;
  f->version_ = img.version;
  f->alignment_ = img.alignment;
  f->file_size_ = size;
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
    if (count < 1) throw Error(path.string() + ": split count 0 in file name");
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
      throw Error(path.string() + ": split part " + paths[k].filename().string() + " is missing");
    auto part = std::make_unique<MappedFile>(paths[k]);
    Image img = parse_image(part->data(), part->size(), paths[k].string());
    f->file_size_ += part->size();
    if (k == 0) {
      f->version_ = img.version;
      f->alignment_ = img.alignment;
      f->kv_ = std::move(img.kv);
    } else {
      // A later part must say it belongs to this model as the part we expect.
      for (const auto& kv : img.kv)
        if (kv.key == "split.no" && kv.value.is_integer() && kv.value.as_int() != static_cast<int64_t>(k))
          throw Error(paths[k].string() + ": split.no is " + std::to_string(kv.value.as_int()) + ", expected " +
                      std::to_string(k));
    }
    for (auto& ti : img.tensors) {
      ti.split = static_cast<uint32_t>(k);
      f->tensors_.push_back(std::move(ti));
    }
    f->parts_.push_back(std::move(part));
  }
  if (paths.size() > 1) {
    if (auto c = f->get_int("split.count"); c && *c != static_cast<int64_t>(paths.size()))
      throw Error(path.string() + ": split.count says " + std::to_string(*c) + " parts, file names say " +
                  std::to_string(paths.size()));
    if (auto t = f->get_int("split.tensors.count"); t && *t != static_cast<int64_t>(f->tensors_.size()))
      throw Error(path.string() + ": split.tensors.count says " + std::to_string(*t) + " tensors, parts hold " +
                  std::to_string(f->tensors_.size()));
  }
  f->index();
  return f;
}

void File::index() {
  for (size_t k = 0; k < kv_.size(); ++k) kv_index_.emplace(kv_[k].key, k);
  for (size_t k = 0; k < tensors_.size(); ++k) {
    if (!tensor_index_.emplace(tensors_[k].name, k).second)
      throw Error(path_.string() + ": tensor '" + tensors_[k].name + "' appears twice");
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
  return v->as_float();
}

std::optional<bool> File::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (!v || v->type != ValueType::BOOL) return std::nullopt;
  return v->u != 0;
}

std::string File::architecture() const { return get_string("general.architecture").value_or(""); }

const TensorInfo* File::tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace airlock::gguf
