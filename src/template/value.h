// The interpreter's value type: Python-like scalars, strings, and reference-semantics lists and
// dicts (templates mutate them through list.append and namespace attributes), plus callables.
// Undefined models Jinja2's default Undefined: empty when printed, false, iterable as empty.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace airlock::tmpl {

struct Value;
class Interpreter;

// Positional and keyword arguments of one call.
struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
};

using List = std::vector<Value>;
using Function = std::function<Value(Interpreter&, CallArgs&)>;

// Insertion-ordered mapping (templates print and serialise dicts in insertion order).
struct Dict {
  std::vector<std::pair<Value, Value>> items;
  bool is_namespace = false;  // only namespace() objects accept `set ns.attr = ...`

  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;
  void set(Value key, Value value);
};

// Strings are values, so copying a list of big strings copies their bytes. While a template
// renders, every string made or copied is charged here, so a hostile template that multiplies a
// big string stops with an error instead of exhausting memory. Thread-local; null disables.
struct StringBudget {
  uint64_t used = 0;
  uint64_t limit = 0;
};
void set_string_budget(StringBudget* budget);

struct Value {
  enum class Kind : uint8_t { Undefined, None, Bool, Int, Float, String, List, Dict, Function };

  Kind kind = Kind::Undefined;
  bool b = false;
  bool tuple = false;  // a List that Python would hold as a tuple: prints as (a, b)
  int64_t i = 0;
  double f = 0;
  std::string s;  // String payload; for Undefined, the name that was looked up (for messages)
  std::shared_ptr<List> list;
  std::shared_ptr<Dict> dict;
  std::shared_ptr<Function> fn;

  Value() = default;
  // Copies charge their string bytes to the active StringBudget (see below).
  Value(const Value& o);
  Value& operator=(const Value& o);
  Value(Value&&) noexcept = default;
  Value& operator=(Value&&) noexcept = default;
  ~Value() = default;
  static Value undefined(std::string name = {});
  static Value none();
  static Value boolean(bool v);
  static Value integer(int64_t v);
  static Value number(double v);
  static Value string(std::string v);
  static Value make_list(List items = {});
  static Value make_tuple(List items);
  static Value make_dict();
  static Value function(Function f);
  // Works for nlohmann::json and nlohmann::ordered_json (which keeps key order for tojson).
  template <class Json>
  static Value from_json(const Json& j);

  bool is_undefined() const { return kind == Kind::Undefined; }
  bool is_none() const { return kind == Kind::None; }
  bool is_string() const { return kind == Kind::String; }
  bool is_list() const { return kind == Kind::List; }
  bool is_dict() const { return kind == Kind::Dict; }
  bool is_int() const { return kind == Kind::Int; }
  bool is_float() const { return kind == Kind::Float; }
  bool is_bool() const { return kind == Kind::Bool; }
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
  bool is_function() const { return kind == Kind::Function; }

  double as_double() const;  // numbers (and bools) only
  bool truthy() const;
  const char* type_name() const;  // Python's name for error messages: 'str', 'dict', ...

  // Python str() / repr() of the value, as Jinja prints it.
  std::string str() const;
  std::string repr() const;
  // Python json.dumps(ensure_ascii=False); indent < 0 means single-line with ", " and ": ".
  std::string to_json(int indent = -1) const;
};

template <class Json>
Value Value::from_json(const Json& j) {
  switch (j.type()) {
    case nlohmann::detail::value_t::null: return Value::none();
    case nlohmann::detail::value_t::boolean: return Value::boolean(j.template get<bool>());
    case nlohmann::detail::value_t::number_integer: return Value::integer(j.template get<int64_t>());
    case nlohmann::detail::value_t::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::number(static_cast<double>(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case nlohmann::detail::value_t::number_float: return Value::number(j.template get<double>());
    case nlohmann::detail::value_t::string: return Value::string(j.template get<std::string>());
    case nlohmann::detail::value_t::array: {
      List items;
      items.reserve(j.size());
      for (auto& e : j) items.push_back(from_json(e));
      return Value::make_list(std::move(items));
    }
    case nlohmann::detail::value_t::object: {
      Value d = Value::make_dict();
      for (auto it = j.begin(); it != j.end(); ++it) d.dict->items.emplace_back(Value::string(it.key()), from_json(*it));
      return d;
    }
    default: return Value::none();
  }
}

bool equal(const Value& a, const Value& b);
// Python ordering for numbers, strings and lists; throws for anything else.
int compare(const Value& a, const Value& b);

// Python's repr of a float: shortest round-trip digits, exponent form outside 1e-4..1e16.
std::string python_float(double v);

}  // namespace airlock::tmpl
