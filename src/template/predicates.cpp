// Jinja2 builtin tests (`x is name`), matching Python's isinstance-based definitions: a bool
// counts as a number, and Undefined counts as iterable and as a sequence.
#include <airlock/error.h>

#include <cmath>

#include "template/builtins.h"

namespace airlock::tmpl {
namespace {

const Value& need_arg(const CallArgs& a, const std::string& test) {
  if (a.args.empty()) throw Error("test '" + test + "' needs an argument");
  return a.args[0];
}

int64_t need_int(const Value& v, const std::string& test) {
  if (v.is_int()) return v.i;
  if (v.is_bool()) return v.b;
  if (v.is_float() && std::floor(v.f) == v.f && std::fabs(v.f) < 9e18) return static_cast<int64_t>(v.f);
  throw Error("test '" + test + "' needs an integer, got " + v.type_name());
}

}  // namespace

bool apply_test(Interpreter& in, const std::string& name, const Value& v, CallArgs& a) {
  (void)in;
  using K = Value::Kind;
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.b;
  if (name == "false") return v.is_bool() && !v.b;
  if (name == "mapping") return v.is_dict();
  if (name == "iterable" || name == "sequence")
    return v.kind == K::List || v.kind == K::Dict || v.kind == K::String || v.kind == K::Undefined;
  if (name == "callable") return v.is_function();
  if (name == "odd" || name == "even") {
    int64_t x = need_int(v, name);
    return (x % 2 != 0) == (name == "odd");
  }
  if (name == "divisibleby") {
    int64_t d = need_int(need_arg(a, name), name);
    if (d == 0) throw Error("test 'divisibleby': division by zero");
    return need_int(v, name) % d == 0;
  }
  if (name == "equalto" || name == "eq" || name == "==") return equal(v, need_arg(a, name));
  if (name == "sameas") {  // Python `is`: the same list or dict object; same kind and value for scalars
    const Value& o = need_arg(a, name);
    if (v.is_list() || v.is_dict() || o.is_list() || o.is_dict()) return v.list == o.list && v.dict == o.dict;
    return v.kind == o.kind && equal(v, o);
  }
  if (name == "ne" || name == "!=") return !equal(v, need_arg(a, name));
  if (name == "lt" || name == "lessthan" || name == "<") return compare(v, need_arg(a, name)) < 0;
  if (name == "le" || name == "<=") return compare(v, need_arg(a, name)) <= 0;
  if (name == "gt" || name == "greaterthan" || name == ">") return compare(v, need_arg(a, name)) > 0;
  if (name == "ge" || name == ">=") return compare(v, need_arg(a, name)) >= 0;
  if (name == "in") {
    const Value& c = need_arg(a, name);
    if (c.is_string()) return v.is_string() && c.s.find(v.s) != std::string::npos;
    if (c.is_dict()) return c.dict->find(v) != nullptr;
    for (auto& x : iterate(c))
      if (equal(x, v)) return true;
    return false;
  }
  if (name == "lower" || name == "upper") {
    if (!v.is_string()) return false;
    bool any = false;
    for (unsigned char c : v.s) {
      if (std::isalpha(c)) {
        any = true;
        if ((name == "lower") != static_cast<bool>(std::islower(c))) return false;
      }
    }
    return any;
  }
  throw Error("unknown test '" + name + "'");
}

}  // namespace airlock::tmpl
