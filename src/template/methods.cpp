// Python methods of str, list and dict that chat templates call (`message.content.strip()`,
// `tools.append(...)`, `message.get('name')`). Lists and dicts are shared, so list.append mutates
// the caller's list, as in Jinja.
#include <airlock/error.h>

#include "template/builtins.h"
#include "template/strings.h"

namespace airlock::tmpl {
namespace {

const std::string* opt_string(const CallArgs& a, size_t pos, const char* name) {
  const Value* v = arg(a, pos, name);
  if (!v || v->is_none()) return nullptr;
  if (!v->is_string()) throw Error(std::string(name) + " must be a string, got " + v->type_name());
  return &v->s;
}

int64_t opt_int(const CallArgs& a, size_t pos, const char* name, int64_t def) {
  const Value* v = arg(a, pos, name);
  if (!v || v->is_none()) return def;
  if (v->is_int()) return v->i;
  if (v->is_bool()) return v->b;
  throw Error(std::string(name) + " must be an integer, got " + v->type_name());
}

const Value& need(const CallArgs& a, size_t pos, const char* name) {
  const Value* v = arg(a, pos, name);
  if (!v) throw Error(std::string("missing argument '") + name + "'");
  return *v;
}

// startswith/endswith accept a string or a tuple (list) of strings.
bool affix_match(const std::string& s, const Value& affix, bool prefix) {
  auto one = [&](const Value& x) {
    if (!x.is_string()) throw Error(std::string(prefix ? "startswith" : "endswith") + ": expected a string");
    if (x.s.size() > s.size()) return false;
    return prefix ? s.compare(0, x.s.size(), x.s) == 0 : s.compare(s.size() - x.s.size(), x.s.size(), x.s) == 0;
  };
  if (affix.is_list()) {
    for (auto& x : *affix.list)
      if (one(x)) return true;
    return false;
  }
  return one(affix);
}

// str.format with {} / {0} / {name} fields and {{ }} escapes; no format specs.
std::string py_format(Interpreter& in, const std::string& fmt, const CallArgs& a) {
  std::string out;
  size_t auto_index = 0;
  for (size_t k = 0; k < fmt.size(); ++k) {
    char c = fmt[k];
    if (c == '{' && k + 1 < fmt.size() && fmt[k + 1] == '{') {
      out += '{';
      ++k;
    } else if (c == '}' && k + 1 < fmt.size() && fmt[k + 1] == '}') {
      out += '}';
      ++k;
    } else if (c == '{') {
      size_t end = fmt.find('}', k);
      if (end == std::string::npos) throw Error("format: unmatched '{'");
      std::string field = fmt.substr(k + 1, end - k - 1);
      if (field.find(':') != std::string::npos || field.find('!') != std::string::npos)
        throw Error("format: format specs are not supported");
      const Value* v = nullptr;
      if (field.empty()) {
        v = auto_index < a.args.size() ? &a.args[auto_index] : nullptr;
        ++auto_index;
      } else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
        size_t i = std::stoul(field);
        v = i < a.args.size() ? &a.args[i] : nullptr;
      } else {
        for (auto& [key, x] : a.kwargs)
          if (key == field) v = &x;
      }
      if (!v) throw Error("format: no argument for field {" + field + "}");
      out += v->str();
      in.check_string(out.size());
      k = end;
    } else {
      out += c;
    }
  }
  return out;
}

Value string_method(Interpreter& in, const std::string& s, const std::string& name, CallArgs& a, bool& found) {
  if (name == "strip") return Value::string(py_strip(s, opt_string(a, 0, "chars"), true, true));
  if (name == "lstrip") return Value::string(py_strip(s, opt_string(a, 0, "chars"), true, false));
  if (name == "rstrip") return Value::string(py_strip(s, opt_string(a, 0, "chars"), false, true));
  if (name == "upper") return Value::string(str_upper(s));
  if (name == "lower") return Value::string(str_lower(s));
  if (name == "title") return Value::string(py_title(s));
  if (name == "capitalize") return Value::string(py_capitalize(s));
  if (name == "split" || name == "rsplit") {
    if (name == "rsplit" && arg(a, 1, "maxsplit")) throw Error("rsplit: maxsplit is not supported");
    List parts;
    for (auto& p : py_split(s, opt_string(a, 0, "sep"), opt_int(a, 1, "maxsplit", -1))) parts.push_back(Value::string(p));
    in.check_items(parts.size());
    return Value::make_list(std::move(parts));
  }
  if (name == "splitlines") {
    List parts;
    for (auto& p : py_splitlines(s)) parts.push_back(Value::string(p));
    return Value::make_list(std::move(parts));
  }
  if (name == "startswith") return Value::boolean(affix_match(s, need(a, 0, "prefix"), true));
  if (name == "endswith") return Value::boolean(affix_match(s, need(a, 0, "suffix"), false));
  if (name == "replace") {
    const Value& from = need(a, 0, "old");
    const Value& to = need(a, 1, "new");
    return Value::string(py_replace(s, from.str(), to.str(), opt_int(a, 2, "count", -1), in.limits().max_output));
  }
  if (name == "find" || name == "rfind" || name == "index") {
    const Value& sub = need(a, 0, "sub");
    if (!sub.is_string()) throw Error(name + ": expected a string");
    size_t pos = name == "rfind" ? s.rfind(sub.s) : s.find(sub.s);
    if (pos == std::string::npos) {
      if (name == "index") throw Error("index: substring not found");
      return Value::integer(-1);
    }
    return Value::integer(static_cast<int64_t>(utf8_length(s.substr(0, pos))));
  }
  if (name == "count") {
    const Value& sub = need(a, 0, "sub");
    if (!sub.is_string()) throw Error("count: expected a string");
    if (sub.s.empty()) return Value::integer(static_cast<int64_t>(utf8_length(s) + 1));
    int64_t n = 0;
    for (size_t pos = s.find(sub.s); pos != std::string::npos; pos = s.find(sub.s, pos + sub.s.size())) ++n;
    return Value::integer(n);
  }
  if (name == "join") {
    std::string out;
    bool first = true;
    for (auto& x : iterate(need(a, 0, "iterable"))) {
      if (!x.is_string()) throw Error(std::string("join: expected str items, got ") + x.type_name());
      if (!first) out += s;
      first = false;
      out += x.s;
      in.check_string(out.size());
    }
    return Value::string(std::move(out));
  }
  if (name == "format") return Value::string(py_format(in, s, a));
  if (name == "isdigit" || name == "isalpha" || name == "isspace" || name == "isalnum") {
    if (s.empty()) return Value::boolean(false);
    for (unsigned char c : s) {
      bool ok = name == "isdigit" ? std::isdigit(c) : name == "isalpha" ? std::isalpha(c)
                : name == "isspace" ? std::isspace(c) : std::isalnum(c);
      if (!ok) return Value::boolean(false);
    }
    return Value::boolean(true);
  }
  found = false;
  return Value();
}

Value list_method(Interpreter& in, List& l, const std::string& name, CallArgs& a, bool& found) {
  if (name == "append") {
    in.check_items(l.size() + 1);
    l.push_back(need(a, 0, "object"));
    return Value::none();
  }
  if (name == "extend") {
    List more = iterate(need(a, 0, "iterable"));
    in.check_items(l.size() + more.size());
    l.insert(l.end(), more.begin(), more.end());
    return Value::none();
  }
  if (name == "insert") {
    int64_t n = static_cast<int64_t>(l.size()), i = opt_int(a, 0, "index", 0);
    if (i < 0) i = std::max<int64_t>(0, i + n);
    in.check_items(l.size() + 1);
    l.insert(l.begin() + std::min(i, n), need(a, 1, "object"));
    return Value::none();
  }
  if (name == "pop") {
    if (l.empty()) throw Error("pop from empty list");
    int64_t n = static_cast<int64_t>(l.size()), i = opt_int(a, 0, "index", -1);
    if (i < 0) i += n;
    if (i < 0 || i >= n) throw Error("pop index out of range");
    Value v = l[static_cast<size_t>(i)];
    l.erase(l.begin() + i);
    return v;
  }
  if (name == "index" || name == "count") {
    const Value& x = need(a, 0, "value");
    int64_t n = 0;
    for (size_t k = 0; k < l.size(); ++k) {
      if (!equal(l[k], x)) continue;
      if (name == "index") return Value::integer(static_cast<int64_t>(k));
      ++n;
    }
    if (name == "index") throw Error("index: " + x.repr() + " is not in list");
    return Value::integer(n);
  }
  found = false;
  return Value();
}

Value dict_method(Dict& d, const std::string& name, CallArgs& a, bool& found) {
  if (name == "items" || name == "keys" || name == "values") {
    List out;
    for (auto& [k, v] : d.items) {
      if (name == "items") out.push_back(Value::make_tuple({k, v}));
      else out.push_back(name == "keys" ? k : v);
    }
    return Value::make_list(std::move(out));
  }
  if (name == "get") {
    const Value* v = d.find(need(a, 0, "key"));
    if (v) return *v;
    const Value* def = arg(a, 1, "default");
    return def ? *def : Value::none();
  }
  if (name == "pop") {
    const Value& key = need(a, 0, "key");
    for (auto it = d.items.begin(); it != d.items.end(); ++it)
      if (equal(it->first, key)) {
        Value v = it->second;
        d.items.erase(it);
        return v;
      }
    if (const Value* def = arg(a, 1, "default")) return *def;
    throw Error("pop: key " + key.repr() + " not found");
  }
  if (name == "update") {
    const Value& other = need(a, 0, "other");
    if (!other.is_dict()) throw Error("update: expected a mapping");
    for (auto& [k, v] : other.dict->items) d.set(k, v);
    return Value::none();
  }
  found = false;
  return Value();
}

}  // namespace

Value call_method(Interpreter& in, const Value& obj, const std::string& name, CallArgs& args, bool& found) {
  found = true;
  switch (obj.kind) {
    case Value::Kind::String: return string_method(in, obj.s, name, args, found);
    case Value::Kind::List: return list_method(in, *obj.list, name, args, found);
    case Value::Kind::Dict: return dict_method(*obj.dict, name, args, found);
    default: found = false; return Value();
  }
}

}  // namespace airlock::tmpl
