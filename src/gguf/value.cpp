#include "gguf/value.h"

#include <bit>
#include <cstring>
#include <limits>

#include "airlock/error.h"

namespace airlock::gguf {

// Scalar array elements are kept in their on-disk (little-endian) form and read with memcpy.
static_assert(std::endian::native == std::endian::little, "airlock assumes a little-endian host");

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

bool is_valid_value_type(uint32_t raw) { return raw <= static_cast<uint32_t>(ValueType::FLOAT64); }

size_t scalar_size(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
    case ValueType::UINT16: case ValueType::INT16: return 2;
    case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
    case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
    case ValueType::STRING: case ValueType::ARRAY: return 0;
  }
  return 0;
}

namespace {

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Decodes one little-endian scalar of type t into a Value.
Value decode_scalar(ValueType t, const uint8_t* p) {
  Value v;
  v.type = t;
  switch (t) {
    case ValueType::UINT8: case ValueType::BOOL: v.u = load<uint8_t>(p); break;
    case ValueType::INT8: v.i = load<int8_t>(p); break;
    case ValueType::UINT16: v.u = load<uint16_t>(p); break;
    case ValueType::INT16: v.i = load<int16_t>(p); break;
    case ValueType::UINT32: v.u = load<uint32_t>(p); break;
    case ValueType::INT32: v.i = load<int32_t>(p); break;
    case ValueType::UINT64: v.u = load<uint64_t>(p); break;
    case ValueType::INT64: v.i = load<int64_t>(p); break;
    case ValueType::FLOAT32: v.f = load<float>(p); break;
    case ValueType::FLOAT64: v.f = load<double>(p); break;
    case ValueType::STRING: case ValueType::ARRAY: break;
  }
  return v;
}

template <typename T>
void store(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

void encode_scalar(const Value& v, std::vector<uint8_t>& out) {
  switch (v.type) {
    case ValueType::UINT8: case ValueType::BOOL: store(out, static_cast<uint8_t>(v.u)); break;
    case ValueType::INT8: store(out, static_cast<int8_t>(v.i)); break;
    case ValueType::UINT16: store(out, static_cast<uint16_t>(v.u)); break;
    case ValueType::INT16: store(out, static_cast<int16_t>(v.i)); break;
    case ValueType::UINT32: store(out, static_cast<uint32_t>(v.u)); break;
    case ValueType::INT32: store(out, static_cast<int32_t>(v.i)); break;
    case ValueType::UINT64: store(out, v.u); break;
    case ValueType::INT64: store(out, v.i); break;
    case ValueType::FLOAT32: store(out, static_cast<float>(v.f)); break;
    case ValueType::FLOAT64: store(out, v.f); break;
    case ValueType::STRING: case ValueType::ARRAY: break;
  }
}

bool is_integer_type(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::UINT16: case ValueType::INT16:
    case ValueType::UINT32: case ValueType::INT32: case ValueType::UINT64: case ValueType::INT64:
      return true;
    default:
      return false;
  }
}

}  // namespace

Array::Array() = default;
Array::Array(ValueType elem) : elem_(elem) {}
Array::Array(const Array&) = default;
Array::Array(Array&&) noexcept = default;
Array& Array::operator=(const Array&) = default;
Array& Array::operator=(Array&&) noexcept = default;
Array::~Array() = default;

void Array::require(bool ok, const char* wanted) const {
  if (!ok)
    throw Error(std::string("expected an array of ") + wanted + ", found an array of " + value_type_name(elem_));
}

Value Array::operator[](size_t k) const {
  if (k >= n_) throw Error("array index " + std::to_string(k) + " out of range (" + std::to_string(n_) + " items)");
  if (elem_ == ValueType::ARRAY) return nested_[k];
  if (elem_ == ValueType::STRING) return Value::of_string(std::string(string_at(k)));
  return decode_scalar(elem_, bytes_.data() + k * scalar_size(elem_));
}

std::string_view Array::string_at(size_t k) const {
  require(elem_ == ValueType::STRING, "string");
  if (k >= n_) throw Error("array index " + std::to_string(k) + " out of range (" + std::to_string(n_) + " items)");
  const uint64_t start = k == 0 ? 0 : ends_[k - 1];
  return std::string_view(reinterpret_cast<const char*>(bytes_.data()) + start, ends_[k] - start);
}

int64_t Array::int_at(size_t k) const {
  require(is_integer_type(elem_), "integers");
  return (*this)[k].as_int();
}

double Array::float_at(size_t k) const {
  if (k >= n_) throw Error("array index " + std::to_string(k) + " out of range (" + std::to_string(n_) + " items)");
  if (elem_ == ValueType::FLOAT32) return load<float>(bytes_.data() + k * 4);
  if (elem_ == ValueType::FLOAT64) return load<double>(bytes_.data() + k * 8);
  require(is_integer_type(elem_), "numbers");
  return static_cast<double>(int_at(k));
}

const Value& Array::array_at(size_t k) const {
  require(elem_ == ValueType::ARRAY, "arrays");
  return nested_.at(k);
}

std::vector<std::string> Array::strings() const {
  require(elem_ == ValueType::STRING, "string");
  std::vector<std::string> out;
  out.reserve(n_);
  for (size_t k = 0; k < n_; ++k) out.emplace_back(string_at(k));
  return out;
}

std::vector<float> Array::floats() const {
  require(elem_ == ValueType::FLOAT32 || elem_ == ValueType::FLOAT64 || is_integer_type(elem_), "numbers");
  std::vector<float> out(n_);
  if (elem_ == ValueType::FLOAT32) {
    if (n_) std::memcpy(out.data(), bytes_.data(), n_ * sizeof(float));
    return out;
  }
  for (size_t k = 0; k < n_; ++k) out[k] = static_cast<float>(float_at(k));
  return out;
}

std::vector<int32_t> Array::int32s() const {
  require(is_integer_type(elem_), "integers");
  std::vector<int32_t> out(n_);
  if (elem_ == ValueType::INT32) {
    if (n_) std::memcpy(out.data(), bytes_.data(), n_ * sizeof(int32_t));
    return out;
  }
  for (size_t k = 0; k < n_; ++k) {
    int64_t v = int_at(k);
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
      throw Error("array item " + std::to_string(k) + " = " + std::to_string(v) + " does not fit in int32");
    out[k] = static_cast<int32_t>(v);
  }
  return out;
}

std::vector<int64_t> Array::int64s() const {
  require(is_integer_type(elem_), "integers");
  std::vector<int64_t> out(n_);
  for (size_t k = 0; k < n_; ++k) out[k] = int_at(k);
  return out;
}

void Array::push(const Value& v) {
  if (v.type != elem_)
    throw Error(std::string("cannot add a ") + value_type_name(v.type) + " to an array of " + value_type_name(elem_));
  if (elem_ == ValueType::ARRAY) {
    nested_.push_back(v);
  } else if (elem_ == ValueType::STRING) {
    append_string(v.s);
    return;
  } else {
    encode_scalar(v, bytes_);
  }
  ++n_;
}

void Array::append_string(std::string_view s) {
  require(elem_ == ValueType::STRING, "string");
  bytes_.insert(bytes_.end(), s.begin(), s.end());
  ends_.push_back(bytes_.size());
  ++n_;
}

void Array::append_raw(const void* bytes, size_t n_elements) {
  require(scalar_size(elem_) != 0, "scalars");
  const auto* p = static_cast<const uint8_t*>(bytes);
  bytes_.insert(bytes_.end(), p, p + n_elements * scalar_size(elem_));
  n_ += n_elements;
}

void Array::reserve(size_t n_elements, size_t n_bytes) {
  if (elem_ == ValueType::ARRAY) {
    nested_.reserve(n_elements);
    return;
  }
  if (elem_ == ValueType::STRING) ends_.reserve(n_elements);
  bytes_.reserve(n_bytes);
}

bool Array::operator==(const Array& o) const {
  return elem_ == o.elem_ && n_ == o.n_ && bytes_ == o.bytes_ && ends_ == o.ends_ && nested_ == o.nested_;
}

bool Value::is_integer() const { return is_integer_type(type); }

int64_t Value::as_int() const {
  switch (type) {
    case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::BOOL:
      return static_cast<int64_t>(u);
    case ValueType::UINT64:
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw Error("uint64 value " + std::to_string(u) + " too large");
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

const Array& Value::as_array() const {
  if (type != ValueType::ARRAY) throw Error(std::string("expected an array, found ") + value_type_name(type));
  return arr;
}

namespace {
Value unsigned_of(ValueType t, uint64_t v) { Value x; x.type = t; x.u = v; return x; }
Value signed_of(ValueType t, int64_t v) { Value x; x.type = t; x.i = v; return x; }
Value float_of(ValueType t, double v) { Value x; x.type = t; x.f = v; return x; }
}  // namespace

Value Value::of_string(std::string v) { Value x; x.type = ValueType::STRING; x.s = std::move(v); return x; }
Value Value::of_u8(uint8_t v) { return unsigned_of(ValueType::UINT8, v); }
Value Value::of_i8(int8_t v) { return signed_of(ValueType::INT8, v); }
Value Value::of_u16(uint16_t v) { return unsigned_of(ValueType::UINT16, v); }
Value Value::of_i16(int16_t v) { return signed_of(ValueType::INT16, v); }
Value Value::of_u32(uint32_t v) { return unsigned_of(ValueType::UINT32, v); }
Value Value::of_i32(int32_t v) { return signed_of(ValueType::INT32, v); }
Value Value::of_u64(uint64_t v) { return unsigned_of(ValueType::UINT64, v); }
Value Value::of_i64(int64_t v) { return signed_of(ValueType::INT64, v); }
Value Value::of_f32(float v) { return float_of(ValueType::FLOAT32, v); }
Value Value::of_f64(double v) { return float_of(ValueType::FLOAT64, v); }
Value Value::of_bool(bool v) { return unsigned_of(ValueType::BOOL, v ? 1 : 0); }

Value Value::of_array(Array a) {
  Value x;
  x.type = ValueType::ARRAY;
  x.arr = std::move(a);
  return x;
}

Value Value::of_array(ValueType elem, const std::vector<Value>& items) {
  Array a(elem);
  for (const auto& v : items) a.push(v);
  return of_array(std::move(a));
}

Value Value::of_strings(const std::vector<std::string>& items) {
  Array a(ValueType::STRING);
  for (const auto& s : items) a.append_string(s);
  return of_array(std::move(a));
}

Value Value::of_f32s(const std::vector<float>& items) {
  Array a(ValueType::FLOAT32);
  a.append_raw(items.data(), items.size());
  return of_array(std::move(a));
}

Value Value::of_i32s(const std::vector<int32_t>& items) {
  Array a(ValueType::INT32);
  a.append_raw(items.data(), items.size());
  return of_array(std::move(a));
}

bool Value::operator==(const Value& o) const {
  if (type != o.type) return false;
  switch (type) {
    case ValueType::STRING: return s == o.s;
    case ValueType::ARRAY: return arr == o.arr;
    // Compare floats by their stored bits so that NaN metadata still equals itself.
    case ValueType::FLOAT32: case ValueType::FLOAT64: return std::memcmp(&f, &o.f, sizeof f) == 0;
    default: return u == o.u && i == o.i;
  }
}

}  // namespace airlock::gguf
