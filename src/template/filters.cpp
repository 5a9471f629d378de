// Jinja2 builtin filters (the subset chat templates use), with Python semantics.
#include <airlock/error.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "template/builtins.h"
#include "template/strings.h"

namespace airlock::tmpl {
namespace {

using FilterFn = Value (*)(Interpreter&, const Value&, CallArgs&);

int64_t int_arg(const CallArgs& a, size_t pos, const char* name, int64_t def) {
  const Value* v = arg(a, pos, name);
  if (!v) return def;
  if (v->is_int()) return v->i;
  if (v->is_bool()) return v->b;
  throw Error(std::string("argument '") + name + "' must be an integer, got " + v->type_name());
}

bool bool_arg(const CallArgs& a, size_t pos, const char* name, bool def) {
  const Value* v = arg(a, pos, name);
  return v ? v->truthy() : def;
}

// Jinja's attribute lookup for filters: "a.b.0" walks dicts and list indices.
Value get_attribute(const Value& v, const std::string& path) {
  Value cur = v;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (cur.is_dict()) {
      const Value* x = cur.dict->find(part);
      cur = x ? *x : Value::undefined();
    } else if (cur.is_list() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      size_t i = std::strtoull(part.c_str(), nullptr, 10);
      cur = i < cur.list->size() ? (*cur.list)[i] : Value::undefined();
    } else {
      return Value::undefined();
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

Value f_trim(Interpreter&, const Value& v, CallArgs& a) {
  const Value* chars = arg(a, 0, "chars");
  return Value::string(py_strip(v.str(), chars && chars->is_string() ? &chars->s : nullptr, true, true));
}

Value f_tojson(Interpreter& in, const Value& v, CallArgs& a) {
  const Value* indent = arg(a, 0, "indent");
  int ind = -1;
  if (indent && !indent->is_none()) {
    if (!indent->is_int()) throw Error("tojson: indent must be an integer");
    ind = static_cast<int>(std::clamp<int64_t>(indent->i, 0, 64));
  }
  std::string s = v.to_json(ind);
  in.check_string(s.size());
  return Value::string(std::move(s));
}

Value f_length(Interpreter&, const Value& v, CallArgs&) {
  switch (v.kind) {
    case Value::Kind::String: return Value::integer(static_cast<int64_t>(utf8_length(v.s)));
    case Value::Kind::List: return Value::integer(static_cast<int64_t>(v.list->size()));
    case Value::Kind::Dict: return Value::integer(static_cast<int64_t>(v.dict->items.size()));
    case Value::Kind::Undefined: return Value::integer(0);
    default: throw Error(std::string("object of type '") + v.type_name() + "' has no len()");
  }
}

Value f_join(Interpreter& in, const Value& v, CallArgs& a) {
  const Value* sep = arg(a, 0, "d");
  const Value* attr = arg(a, 1, "attribute");
  std::string s, d = sep ? sep->str() : "";
  bool first = true;
  for (auto& x : iterate(v)) {
    if (!first) s += d;
    first = false;
    s += attr ? get_attribute(x, attr->str()).str() : x.str();
    in.check_string(s.size());
  }
  return Value::string(std::move(s));
}

Value f_upper(Interpreter&, const Value& v, CallArgs&) { return Value::string(str_upper(v.str())); }
Value f_lower(Interpreter&, const Value& v, CallArgs&) { return Value::string(str_lower(v.str())); }
Value f_capitalize(Interpreter&, const Value& v, CallArgs&) { return Value::string(py_capitalize(v.str())); }
Value f_title(Interpreter&, const Value& v, CallArgs&) { return Value::string(py_title(v.str())); }

Value f_replace(Interpreter& in, const Value& v, CallArgs& a) {
  const Value* from = arg(a, 0, "old");
  const Value* to = arg(a, 1, "new");
  if (!from || !to) throw Error("replace: needs old and new strings");
  std::string s = py_replace(v.str(), from->str(), to->str(), int_arg(a, 2, "count", -1), in.limits().max_output);
  return Value::string(std::move(s));
}

Value f_default(Interpreter&, const Value& v, CallArgs& a) {
  const Value* def = arg(a, 0, "default_value");
  bool boolean = bool_arg(a, 1, "boolean", false);
  if (v.is_undefined() || (boolean && !v.truthy())) return def ? *def : Value::string("");
  return v;
}

Value f_first(Interpreter&, const Value& v, CallArgs&) {
  List items = iterate(v);
  return items.empty() ? Value::undefined("first: sequence is empty") : items.front();
}
Value f_last(Interpreter&, const Value& v, CallArgs&) {
  List items = iterate(v);
  return items.empty() ? Value::undefined("last: sequence is empty") : items.back();
}
Value f_list(Interpreter&, const Value& v, CallArgs&) { return Value::make_list(iterate(v)); }
Value f_string(Interpreter&, const Value& v, CallArgs&) { return Value::string(v.str()); }
Value f_safe(Interpreter&, const Value& v, CallArgs&) { return v; }

Value f_int(Interpreter&, const Value& v, CallArgs& a) {
  int64_t def = int_arg(a, 0, "default", 0);
  if (v.is_int()) return v;
  if (v.is_bool()) return Value::integer(v.b);
  if (v.is_float()) return std::isfinite(v.f) && std::fabs(v.f) < 9.2e18 ? Value::integer(static_cast<int64_t>(v.f)) : Value::integer(def);
  if (v.is_string()) {
    std::string s = py_strip(v.s, nullptr, true, true);
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0' && errno == 0) return Value::integer(x);
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0' && std::isfinite(d) && std::fabs(d) < 9.2e18) return Value::integer(static_cast<int64_t>(d));
  }
  return Value::integer(def);
}

Value f_float(Interpreter&, const Value& v, CallArgs& a) {
  const Value* def = arg(a, 0, "default");
  if (v.is_number()) return Value::number(v.as_double());
  if (v.is_string()) {
    std::string s = py_strip(v.s, nullptr, true, true);
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0') return Value::number(d);
  }
  return def ? Value::number(def->as_double()) : Value::number(0);
}

Value f_abs(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_float()) return Value::number(std::fabs(v.f));
  if (v.is_int()) return v.i == INT64_MIN ? Value::number(std::fabs(static_cast<double>(v.i))) : Value::integer(std::llabs(v.i));
  if (v.is_bool()) return Value::integer(v.b);
  throw Error(std::string("abs: bad operand type '") + v.type_name() + "'");
}

Value f_round(Interpreter&, const Value& v, CallArgs& a) {
  int64_t prec = std::clamp<int64_t>(int_arg(a, 0, "precision", 0), -300, 300);
  const Value* m = arg(a, 1, "method");
  std::string method = m ? m->str() : "common";
  double x = v.as_double(), scale = std::pow(10.0, static_cast<double>(prec));
  double y = x * scale;
  if (method == "common") y = std::nearbyint(y);  // Python's round(): ties to even
  else if (method == "ceil") y = std::ceil(y);
  else if (method == "floor") y = std::floor(y);
  else throw Error("round: method must be common, ceil or floor");
  return Value::number(y / scale);
}

// select/reject/selectattr/rejectattr share this: keep items where test(item[.attr]) == keep.
Value select_items(Interpreter& in, const Value& v, CallArgs& a, bool by_attr, bool keep) {
  size_t pos = 0;
  std::string attr;
  if (by_attr) {
    if (a.args.empty()) throw Error("selectattr/rejectattr: missing attribute name");
    attr = a.args[0].str();
    pos = 1;
  }
  std::string test_name;
  CallArgs test_args;
  if (a.args.size() > pos) {
    test_name = a.args[pos].str();
    test_args.args.assign(a.args.begin() + static_cast<std::ptrdiff_t>(pos) + 1, a.args.end());
  }
  List out;
  if (!v.truthy()) return Value::make_list();  // Jinja yields nothing for a falsy input, even none
  for (auto& item : iterate(v)) {
    in.step();
    Value subject = by_attr ? get_attribute(item, attr) : item;
    bool ok = test_name.empty() ? subject.truthy() : in.test(test_name, subject, test_args);
    if (ok == keep) out.push_back(item);
  }
  return Value::make_list(std::move(out));
}
Value f_select(Interpreter& in, const Value& v, CallArgs& a) { return select_items(in, v, a, false, true); }
Value f_reject(Interpreter& in, const Value& v, CallArgs& a) { return select_items(in, v, a, false, false); }
Value f_selectattr(Interpreter& in, const Value& v, CallArgs& a) { return select_items(in, v, a, true, true); }
Value f_rejectattr(Interpreter& in, const Value& v, CallArgs& a) { return select_items(in, v, a, true, false); }

Value f_map(Interpreter& in, const Value& v, CallArgs& a) {
  List out;
  if (!v.truthy()) return Value::make_list();  // as select: a falsy input maps to nothing
  if (const Value* attr = arg(a, 99, "attribute")) {
    const Value* def = arg(a, 99, "default");
    for (auto& item : iterate(v)) {
      Value x = get_attribute(item, attr->str());
      out.push_back(x.is_undefined() && def ? *def : x);
    }
    return Value::make_list(std::move(out));
  }
  if (a.args.empty()) throw Error("map: needs a filter name or attribute=");
  std::string name = a.args[0].str();
  CallArgs rest;
  rest.args.assign(a.args.begin() + 1, a.args.end());
  rest.kwargs = a.kwargs;
  for (auto& item : iterate(v)) {
    in.step();
    out.push_back(in.filter(name, item, rest));
  }
  return Value::make_list(std::move(out));
}

Value f_items(Interpreter&, const Value& v, CallArgs&) {
  List out;
  if (v.is_undefined()) return Value::make_list();
  if (!v.is_dict()) throw Error(std::string("items: expected a mapping, got ") + v.type_name());
  for (auto& [k, x] : v.dict->items) out.push_back(Value::make_tuple({k, x}));
  return Value::make_list(std::move(out));
}

Value f_dictsort(Interpreter&, const Value& v, CallArgs& a) {
  if (!v.is_dict()) throw Error(std::string("dictsort: expected a mapping, got ") + v.type_name());
  bool case_sensitive = bool_arg(a, 0, "case_sensitive", false);
  const Value* by = arg(a, 1, "by");
  bool by_value = by && by->str() == "value";
  bool reverse = bool_arg(a, 2, "reverse", false);
  auto pairs = v.dict->items;
  auto key = [&](const std::pair<Value, Value>& p) {
    const Value& k = by_value ? p.second : p.first;
    return k.is_string() && !case_sensitive ? Value::string(str_lower(k.s)) : k;
  };
  std::stable_sort(pairs.begin(), pairs.end(), [&](auto& x, auto& y) {
    int c = compare(key(x), key(y));
    return reverse ? c > 0 : c < 0;
  });
  List out;
  for (auto& [k, x] : pairs) out.push_back(Value::make_tuple({k, x}));
  return Value::make_list(std::move(out));
}

Value f_unique(Interpreter& in, const Value& v, CallArgs& a) {
  const Value* attr = arg(a, 1, "attribute");
  bool case_sensitive = bool_arg(a, 0, "case_sensitive", false);
  List out, seen;
  for (auto& item : iterate(v)) {
    in.step();
    Value k = attr ? get_attribute(item, attr->str()) : item;
    if (k.is_string() && !case_sensitive) k = Value::string(str_lower(k.s));
    bool dup = false;
    for (auto& s : seen) dup = dup || equal(s, k);
    if (!dup) {
      seen.push_back(k);
      out.push_back(item);
    }
  }
  return Value::make_list(std::move(out));
}

Value f_reverse(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_string()) {
    auto chars = utf8_chars(v.s);
    std::string s;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it) s += *it;
    return Value::string(std::move(s));
  }
  List items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::make_list(std::move(items));
}

Value f_sort(Interpreter&, const Value& v, CallArgs& a) {
  bool reverse = bool_arg(a, 0, "reverse", false);
  bool case_sensitive = bool_arg(a, 1, "case_sensitive", false);
  const Value* attr = arg(a, 2, "attribute");
  List items = iterate(v);
  auto key = [&](const Value& x) {
    Value k = attr ? get_attribute(x, attr->str()) : x;
    return k.is_string() && !case_sensitive ? Value::string(str_lower(k.s)) : k;
  };
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    int c = compare(key(x), key(y));
    return reverse ? c > 0 : c < 0;
  });
  return Value::make_list(std::move(items));
}

Value f_sum(Interpreter&, const Value& v, CallArgs& a) {
  const Value* attr = arg(a, 0, "attribute");
  const Value* start = arg(a, 1, "start");
  Value acc = start ? *start : Value::integer(0);
  for (auto& item : iterate(v)) {
    Value x = attr ? get_attribute(item, attr->str()) : item;
    if (!x.is_number() || !acc.is_number()) throw Error("sum: items must be numbers");
    if (acc.is_float() || x.is_float()) acc = Value::number(acc.as_double() + x.as_double());
    else acc = Value::integer(static_cast<int64_t>(acc.as_double()) + (x.is_bool() ? x.b : x.i));
  }
  return acc;
}

Value f_indent(Interpreter& in, const Value& v, CallArgs& a) {
  const Value* w = arg(a, 0, "width");
  std::string pad = !w ? "    " : w->is_string() ? w->s : std::string(static_cast<size_t>(std::clamp<int64_t>(w->is_int() ? w->i : 4, 0, 1024)), ' ');
  bool first = bool_arg(a, 1, "first", false);
  bool blank = bool_arg(a, 2, "blank", false);
  std::vector<std::string> lines = py_splitlines(v.str() + "\n");
  std::string out;
  for (size_t k = 0; k < lines.size(); ++k) {
    if (k > 0) out += "\n";
    bool indent = k == 0 ? first : (blank || !lines[k].empty());
    if (indent) out += pad;
    out += lines[k];
    in.check_string(out.size());
  }
  return Value::string(std::move(out));
}

Value f_escape(Interpreter&, const Value& v, CallArgs&) {
  std::string out;
  for (char c : v.str()) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Value::string(std::move(out));
}

Value f_wordcount(Interpreter&, const Value& v, CallArgs&) {
  // Jinja counts \w+ runs; ASCII letters, digits, underscore and any non-ASCII byte count as word characters.
  int64_t n = 0;
  bool in_word = false;
  for (unsigned char c : v.str()) {
    bool w = std::isalnum(c) || c == '_' || c >= 0x80;
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::integer(n);
}

Value f_batch(Interpreter&, const Value& v, CallArgs& a) {
  int64_t size = int_arg(a, 0, "linecount", 0);
  if (size <= 0) throw Error("batch: linecount must be positive");
  const Value* fill = arg(a, 1, "fill_with");
  List out, cur;
  for (auto& item : iterate(v)) {
    cur.push_back(item);
    if (static_cast<int64_t>(cur.size()) == size) {
      out.push_back(Value::make_list(std::move(cur)));
      cur.clear();
    }
  }
  if (!cur.empty()) {
    if (fill)
      while (static_cast<int64_t>(cur.size()) < size) cur.push_back(*fill);
    out.push_back(Value::make_list(std::move(cur)));
  }
  return Value::make_list(std::move(out));
}

const std::unordered_map<std::string, FilterFn>& table() {
  static const std::unordered_map<std::string, FilterFn> t = {
      {"trim", f_trim},         {"tojson", f_tojson},       {"length", f_length},     {"count", f_length},
      {"join", f_join},         {"upper", f_upper},         {"lower", f_lower},       {"capitalize", f_capitalize},
      {"title", f_title},       {"replace", f_replace},     {"default", f_default},   {"d", f_default},
      {"first", f_first},       {"last", f_last},           {"list", f_list},         {"string", f_string},
      {"int", f_int},           {"float", f_float},         {"abs", f_abs},           {"round", f_round},
      {"select", f_select},     {"reject", f_reject},       {"selectattr", f_selectattr},
      {"rejectattr", f_rejectattr},                         {"map", f_map},           {"items", f_items},
      {"dictsort", f_dictsort}, {"unique", f_unique},       {"reverse", f_reverse},   {"sort", f_sort},
      {"sum", f_sum},           {"indent", f_indent},       {"safe", f_safe},         {"escape", f_escape},
      {"e", f_escape},          {"wordcount", f_wordcount}, {"batch", f_batch},
  };
  return t;
}

}  // namespace

Value apply_filter(Interpreter& in, const std::string& name, const Value& v, CallArgs& args) {
  auto it = table().find(name);
  if (it == table().end()) throw Error("unknown filter '" + name + "'");
  try {
    return it->second(in, v, args);
  } catch (const Error& e) {
    std::string m = e.what();
    if (m.rfind(name + ":", 0) == 0 || m.rfind("template", 0) == 0) throw;
    throw Error("filter '" + name + "': " + m);
  }
}

}  // namespace airlock::tmpl
