// Global functions every template sees: range, namespace, dict and raise_exception.
#include <airlock/error.h>

#include "template/builtins.h"

namespace airlock::tmpl {
namespace {

int64_t int_of(const Value& v, const char* what) {
  if (v.is_int()) return v.i;
  if (v.is_bool()) return v.b;
  throw Error(std::string(what) + ": expected an integer, got " + v.type_name());
}

Value range_fn(Interpreter& in, CallArgs& a) {
  if (a.args.empty() || a.args.size() > 3) throw Error("range: expected 1 to 3 integer arguments");
  int64_t start = 0, stop, step = 1;
  if (a.args.size() == 1) {
    stop = int_of(a.args[0], "range");
  } else {
    start = int_of(a.args[0], "range");
    stop = int_of(a.args[1], "range");
    if (a.args.size() == 3) step = int_of(a.args[2], "range");
  }
  if (step == 0) throw Error("range: step must not be zero");
  // Count first (in wide arithmetic) so a huge range fails before allocating.
  __int128 span = static_cast<__int128>(stop) - start;
  __int128 n = step > 0 ? (span > 0 ? (span + step - 1) / step : 0) : (span < 0 ? (-span + (-step) - 1) / (-step) : 0);
  in.check_items(n > static_cast<__int128>(SIZE_MAX / 2) ? SIZE_MAX : static_cast<size_t>(n));
  List items;
  items.reserve(static_cast<size_t>(n));
  for (__int128 k = 0; k < n; ++k) items.push_back(Value::integer(static_cast<int64_t>(start + k * step)));
  return Value::make_list(std::move(items));
}

Value dict_from(CallArgs& a, bool is_namespace) {
  Value d = Value::make_dict();
  d.dict->is_namespace = is_namespace;
  if (!a.args.empty()) {
    if (a.args.size() > 1 || !a.args[0].is_dict()) throw Error("expected at most one mapping argument");
    for (auto& [k, v] : a.args[0].dict->items) d.dict->set(k, v);
  }
  for (auto& [k, v] : a.kwargs) d.dict->set(Value::string(k), v);
  return d;
}

}  // namespace

void add_global_functions(Value& globals) {
  auto& d = *globals.dict;
  d.set(Value::string("range"), Value::function(range_fn));
  d.set(Value::string("namespace"), Value::function([](Interpreter&, CallArgs& a) { return dict_from(a, true); }));
  d.set(Value::string("dict"), Value::function([](Interpreter&, CallArgs& a) { return dict_from(a, false); }));
  d.set(Value::string("raise_exception"), Value::function([](Interpreter&, CallArgs& a) -> Value {
          throw Error(a.args.empty() ? std::string("raise_exception called") : a.args[0].str());
        }));
}

}  // namespace airlock::tmpl
