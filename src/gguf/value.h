// GGUF metadata values. Arrays keep scalars as their on-disk little-endian bytes and strings back
// to back in one buffer: a 150k-entry vocabulary is then a handful of allocations instead of 150k
// Values, and the memory a file can make us use stays proportional to the file's own size.
#pragma once
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::gguf {

enum class ValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char* value_type_name(ValueType t);
bool is_valid_value_type(uint32_t raw);
// Bytes one element of a fixed-size type occupies on disk (0 for STRING and ARRAY).
size_t scalar_size(ValueType t);

struct Value;

// The elements of one metadata array, all of type elem_type().
class Array {
 public:
  class Iterator;

  // Defined out of line: Value is still incomplete here, and clang instantiates the vector's
  // members eagerly.
  Array();
  explicit Array(ValueType elem);
  Array(const Array&);
  Array(Array&&) noexcept;
  Array& operator=(const Array&);
  Array& operator=(Array&&) noexcept;
  ~Array();

  ValueType elem_type() const { return elem_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }

  // Element k as a Value (a copy; cheap for scalars and strings).
  Value operator[](size_t k) const;
  Iterator begin() const;
  Iterator end() const;

  // Typed element access; each throws airlock::Error if the element type does not fit.
  std::string_view string_at(size_t k) const;  // STRING arrays
  int64_t int_at(size_t k) const;              // integer arrays
  double float_at(size_t k) const;             // float or integer arrays
  const Value& array_at(size_t k) const;       // arrays of arrays

  // Whole-array conversions with the same type checks; integers are range-checked.
  std::vector<std::string> strings() const;
  std::vector<float> floats() const;
  std::vector<int32_t> int32s() const;
  std::vector<int64_t> int64s() const;

  // Scalar arrays: the elements exactly as stored on disk (little-endian, back to back).
  std::span<const uint8_t> raw_bytes() const { return bytes_; }

  // Building. push() takes a Value of elem_type(); the append_* helpers skip the Value.
  void push(const Value& v);
  void append_string(std::string_view s);
  void append_raw(const void* bytes, size_t n_elements);  // scalar arrays, little-endian elements
  void reserve(size_t n_elements, size_t n_bytes);

  bool operator==(const Array& o) const;

 private:
  void require(bool ok, const char* wanted) const;

  ValueType elem_ = ValueType::UINT8;
  size_t n_ = 0;
  std::vector<uint8_t> bytes_;   // scalars, or the concatenated bytes of all strings
  std::vector<uint64_t> ends_;   // STRING arrays: where each string ends in bytes_
  std::vector<Value> nested_;    // ARRAY arrays
};

// One metadata value. Integers of every width are held in `u` (unsigned types and BOOL) or `i`
// (signed types), floats in `f`, strings in `s`, arrays in `arr`.
struct Value {
  ValueType type = ValueType::UINT8;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string s;
  Array arr;

  bool is_integer() const;
  bool is_float() const { return type == ValueType::FLOAT32 || type == ValueType::FLOAT64; }
  // Typed views; each throws airlock::Error if the value is not of that kind.
  int64_t as_int() const;       // any integer type (uint64 above INT64_MAX is an error)
  double as_float() const;      // float or integer
  bool as_bool() const;
  const std::string& as_string() const;
  const Array& as_array() const;

  static Value of_string(std::string v);
  static Value of_u8(uint8_t v);
  static Value of_i8(int8_t v);
  static Value of_u16(uint16_t v);
  static Value of_i16(int16_t v);
  static Value of_u32(uint32_t v);
  static Value of_i32(int32_t v);
  static Value of_u64(uint64_t v);
  static Value of_i64(int64_t v);
  static Value of_f32(float v);
  static Value of_f64(double v);
  static Value of_bool(bool v);
  static Value of_array(ValueType elem, const std::vector<Value>& items);
  static Value of_array(Array a);
  static Value of_strings(const std::vector<std::string>& items);
  static Value of_f32s(const std::vector<float>& items);
  static Value of_i32s(const std::vector<int32_t>& items);

  bool operator==(const Value& o) const;
};

class Array::Iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = Value;

  Iterator(const Array* a, size_t k) : a_(a), k_(k) {}
  Value operator*() const { return (*a_)[k_]; }
  Iterator& operator++() { ++k_; return *this; }
  Iterator operator++(int) { Iterator t = *this; ++k_; return t; }
  bool operator==(const Iterator& o) const { return k_ == o.k_; }

 private:
  const Array* a_;
  size_t k_;
};

inline Array::Iterator Array::begin() const { return Iterator(this, 0); }
inline Array::Iterator Array::end() const { return Iterator(this, n_); }

}  // namespace airlock::gguf
