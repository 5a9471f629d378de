#include "template/interpreter.h"

#include <airlock/error.h>

#include <cmath>

#include "template/builtins.h"

namespace airlock::tmpl {

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> utf8_chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t k = 0; k < s.size();) {
    size_t len = 1;
    unsigned char c = static_cast<unsigned char>(s[k]);
    if (c >= 0xF0) len = 4;
    else if (c >= 0xE0) len = 3;
    else if (c >= 0xC0) len = 2;
    // Stop a multi-byte sequence at the first byte that is not a continuation byte.
    size_t m = 1;
    while (m < len && k + m < s.size() && (static_cast<unsigned char>(s[k + m]) & 0xC0) == 0x80) ++m;
    out.push_back(s.substr(k, m));
    k += m;
  }
  return out;
}

List iterate(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Undefined: return {};
    case Value::Kind::List: return *v.list;
    case Value::Kind::Dict: {
      List keys;
      for (auto& [k, e] : v.dict->items) keys.push_back(k);
      return keys;
    }
    case Value::Kind::String: {
      List chars;
      for (auto& c : utf8_chars(v.s)) chars.push_back(Value::string(c));
      return chars;
    }
    default: throw Error(std::string("'") + v.type_name() + "' object is not iterable");
  }
}

const Value* arg(const CallArgs& a, size_t pos, const char* name) {
  for (auto& [k, v] : a.kwargs)
    if (k == name) return &v;
  return pos < a.args.size() ? &a.args[pos] : nullptr;
}

Interpreter::Interpreter(const Limits& limits, const Value& globals) : limits_(limits) {
  frames_.emplace_back();
  if (globals.is_dict())
    for (auto& [k, v] : globals.dict->items)
      if (k.is_string()) frames_[0][k.s] = v;
}

std::string Interpreter::render(const Body& body) {
  std::string out;
  out_ = &out;
  StringBudget budget{0, limits_.max_string_bytes};
  // Detaches the budget however rendering ends, so copies made afterwards are not charged.
  struct BudgetScope {
    explicit BudgetScope(StringBudget* b) { set_string_budget(b); }
    ~BudgetScope() { set_string_budget(nullptr); }
  } scope(&budget);
  try {
    exec(body);
  } catch (const Error& e) {
    std::string m = e.what();
    if (m.rfind("template line ", 0) == 0) throw;
    throw Error("template line " + std::to_string(line_) + ": " + m);
  }
  return out;
}

void Interpreter::step() {
  if (++steps_ > limits_.max_steps)
    throw Error("template stopped after " + std::to_string(limits_.max_steps) + " steps (runaway loop?)");
}

void Interpreter::check_string(size_t bytes) const {
  if (bytes > limits_.max_output)
    throw Error("template string of " + std::to_string(bytes) + " bytes exceeds the limit of " +
                std::to_string(limits_.max_output));
}

void Interpreter::check_items(size_t n) const {
  if (n > limits_.max_items)
    throw Error("template list of " + std::to_string(n) + " items exceeds the limit of " +
                std::to_string(limits_.max_items));
}

void Interpreter::emit(const std::string& s) {
  if (out_->size() + s.size() > limits_.max_output)
    throw Error("template output exceeds the limit of " + std::to_string(limits_.max_output) + " bytes");
  *out_ += s;
}

Value Interpreter::lookup(const std::string& name) const {
  for (size_t k = frames_.size(); k-- > floor_;) {
    auto it = frames_[k].find(name);
    if (it != frames_[k].end()) return it->second;
  }
  auto it = frames_[0].find(name);
  if (it != frames_[0].end()) return it->second;
  return Value::undefined("'" + name + "' is undefined");
}

void Interpreter::assign(const std::string& name, Value v) { frames_.back()[name] = std::move(v); }

std::string Interpreter::capture(const Body& body) {
  std::string buf;
  std::string* saved = out_;
  out_ = &buf;
  exec(body);
  out_ = saved;
  return buf;
}

Interpreter::Flow Interpreter::exec(const Body& body) {
  for (auto& s : body) {
    Flow f = exec(*s);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& s) {
  step();
  line_ = s.line;
  switch (s.kind) {
    case Stmt::Kind::Text: emit(s.text); break;
    case Stmt::Kind::Output: emit(eval(*s.expr).str()); break;
    case Stmt::Kind::If: return exec(eval(*s.cond).truthy() ? s.body : s.else_body);
    case Stmt::Kind::For: return exec_for(s);
    case Stmt::Kind::Set: exec_set(s); break;
    case Stmt::Kind::Macro: assign(s.name, make_macro(s)); break;
    case Stmt::Kind::FilterBlock: {
      Value input = Value::string(capture(s.body));
      const Value* saved = block_input_;
      block_input_ = &input;
      Value out = eval(*s.expr);
      block_input_ = saved;
      emit(out.str());
      break;
    }
    case Stmt::Kind::Break: return Flow::Break;
    case Stmt::Kind::Continue: return Flow::Continue;
  }
  return Flow::Normal;
}

void Interpreter::bind(const std::vector<std::string>& targets, const Value& v) {
  if (targets.size() == 1) {
    assign(targets[0], v);
    return;
  }
  List parts = iterate(v);
  if (parts.size() != targets.size())
    throw Error("cannot unpack " + std::to_string(parts.size()) + " values into " +
                std::to_string(targets.size()) + " names");
  for (size_t k = 0; k < targets.size(); ++k) assign(targets[k], parts[k]);
}

Interpreter::Flow Interpreter::exec_for(const Stmt& s) {
  Value seq = eval(*s.expr);
  List items = iterate(seq);
  frames_.emplace_back();
  if (s.cond) {
    List kept;
    for (auto& item : items) {
      step();
      bind(s.targets, item);
      if (eval(*s.cond).truthy()) kept.push_back(item);
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    frames_.pop_back();
    return exec(s.else_body);
  }
  const int64_t n = static_cast<int64_t>(items.size());
  auto index0 = std::make_shared<int64_t>(0);
  Value cycle = Value::function([index0](Interpreter&, CallArgs& a) -> Value {
    if (a.args.empty()) throw Error("loop.cycle() needs at least one argument");
    return a.args[static_cast<size_t>(*index0) % a.args.size()];
  });
  // One loop object, updated in place each iteration, as Jinja's LoopContext is.
  Value loop = Value::make_dict();
  for (const char* key : {"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0",
                          "previtem", "nextitem", "cycle"})
    loop.dict->items.emplace_back(Value::string(key), Value());
  auto& slot = loop.dict->items;
  slot[6].second = Value::integer(n);
  slot[7].second = Value::integer(1);
  slot[8].second = Value::integer(0);
  slot[11].second = cycle;
  for (int64_t k = 0; k < n; ++k) {
    step();
    slot[0].second = Value::integer(k + 1);
    slot[1].second = Value::integer(k);
    slot[2].second = Value::integer(n - k);
    slot[3].second = Value::integer(n - k - 1);
    slot[4].second = Value::boolean(k == 0);
    slot[5].second = Value::boolean(k == n - 1);
    slot[9].second = k > 0 ? items[static_cast<size_t>(k - 1)] : Value::undefined("'loop.previtem' is undefined");
    slot[10].second = k + 1 < n ? items[static_cast<size_t>(k + 1)] : Value::undefined("'loop.nextitem' is undefined");
    *index0 = k;
    frames_.back()["loop"] = loop;
    bind(s.targets, items[static_cast<size_t>(k)]);
    Flow f = exec(s.body);
    if (f == Flow::Break) break;
  }
  frames_.pop_back();
  return Flow::Normal;
}

void Interpreter::exec_set(const Stmt& s) {
  if (!s.name.empty()) {
    Value obj = lookup(s.targets[0]);
    if (!obj.is_dict() || !obj.dict->is_namespace)
      throw Error("cannot assign attribute '" + s.name + "' on '" + s.targets[0] + "': not a namespace");
    obj.dict->set(Value::string(s.name), eval(*s.expr));
    return;
  }
  if (!s.expr) {
    assign(s.targets[0], Value::string(capture(s.body)));
    return;
  }
  bind(s.targets, eval(*s.expr));
}

Value Interpreter::make_macro(const Stmt& s) {
  const Stmt* m = &s;
  return Value::function([m](Interpreter& in, CallArgs& a) { return in.call_macro(*m, a); });
}

Value Interpreter::call_macro(const Stmt& m, CallArgs& a) {
  if (depth_ >= limits_.max_depth)
    throw Error("macro '" + m.name + "': call depth exceeds " + std::to_string(limits_.max_depth));
  if (a.args.size() > m.params.size())
    throw Error("macro '" + m.name + "' takes " + std::to_string(m.params.size()) + " arguments, got " +
                std::to_string(a.args.size()));
  for (auto& [k, v] : a.kwargs) {
    bool known = false;
    for (auto& p : m.params) known |= p.first == k;
    if (!known) throw Error("macro '" + m.name + "' has no parameter '" + k + "'");
  }
  ++depth_;
  size_t saved_floor = floor_;
  int saved_line = line_;
  frames_.emplace_back();
  floor_ = frames_.size() - 1;
  for (size_t k = 0; k < m.params.size(); ++k) {
    const auto& [pname, def] = m.params[k];
    const Value* given = arg(a, k, pname.c_str());
    if (given) assign(pname, *given);
    else if (def) assign(pname, eval(*def));
    else assign(pname, Value::undefined("'" + pname + "' is undefined"));
  }
  std::string out = capture(m.body);
  frames_.pop_back();
  floor_ = saved_floor;
  line_ = saved_line;
  --depth_;
  return Value::string(std::move(out));
}

Value Interpreter::call(const Value& fn, CallArgs& args) {
  if (!fn.is_function()) {
    if (fn.is_undefined()) throw Error(fn.s.empty() ? "undefined value is not callable" : fn.s);
    throw Error(std::string("'") + fn.type_name() + "' object is not callable");
  }
  return (*fn.fn)(*this, args);
}

Value Interpreter::filter(const std::string& name, const Value& subject, CallArgs& args) {
  return apply_filter(*this, name, subject, args);
}

bool Interpreter::test(const std::string& name, const Value& subject, CallArgs& args) {
  return apply_test(*this, name, subject, args);
}

CallArgs Interpreter::eval_args(const Expr& e) {
  CallArgs a;
  for (auto& x : e.items) a.args.push_back(eval(*x));
  for (auto& [k, x] : e.kwargs) a.kwargs.emplace_back(k, eval(*x));
  return a;
}

static std::string object_name(const Value& v) { return std::string("'") + v.type_name() + " object'"; }

Value Interpreter::eval_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) throw Error(obj.s.empty() ? "attribute '" + name + "' of an undefined value" : obj.s);
  if (obj.is_dict()) {
    if (const Value* v = obj.dict->find(name)) return *v;
  }
  return Value::undefined(object_name(obj) + " has no attribute '" + name + "'");
}

static int64_t as_index(const Value& key) {
  if (key.is_int()) return key.i;
  if (key.is_bool()) return key.b;
  throw Error(std::string("indices must be integers, not ") + key.type_name());
}

Value Interpreter::eval_index(const Value& obj, const Value& key) {
  if (obj.is_undefined()) throw Error(obj.s.empty() ? "subscript of an undefined value" : obj.s);
  if (obj.is_dict()) {
    if (const Value* v = obj.dict->find(key)) return *v;
    return Value::undefined(object_name(obj) + " has no attribute " + key.repr());
  }
  if (obj.is_list() || obj.is_string()) {
    if (!key.is_int() && !key.is_bool()) {
      if (key.is_string()) return Value::undefined(object_name(obj) + " has no attribute '" + key.s + "'");
      throw Error(std::string("indices must be integers, not ") + key.type_name());
    }
    int64_t i = as_index(key);
    if (obj.is_list()) {
      int64_t n = static_cast<int64_t>(obj.list->size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return Value::undefined(object_name(obj) + " has no element " + std::to_string(as_index(key)));
      return (*obj.list)[static_cast<size_t>(i)];
    }
    auto chars = utf8_chars(obj.s);
    int64_t n = static_cast<int64_t>(chars.size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::undefined("string index out of range");
    return Value::string(chars[static_cast<size_t>(i)]);
  }
  return Value::undefined(object_name(obj) + " has no attribute " + key.repr());
}

Value Interpreter::eval_slice(const Expr& e) {
  Value obj = eval(*e.a);
  auto bound = [&](const ExprPtr& x) -> std::optional<int64_t> {
    if (!x) return std::nullopt;
    Value v = eval(*x);
    if (v.is_none()) return std::nullopt;
    return as_index(v);
  };
  std::optional<int64_t> start = bound(e.b), stop = bound(e.c), stepv = bound(e.d);
  int64_t st = stepv.value_or(1);
  if (st == 0) throw Error("slice step cannot be zero");
  List items;
  std::vector<std::string> chars;
  bool is_str = obj.is_string();
  if (is_str) chars = utf8_chars(obj.s);
  else if (obj.is_list()) items = *obj.list;
  else if (obj.is_undefined()) throw Error(obj.s.empty() ? "slice of an undefined value" : obj.s);
  else throw Error(std::string("cannot slice '") + obj.type_name() + "'");
  const int64_t n = static_cast<int64_t>(is_str ? chars.size() : items.size());
  // Python's slice index normalisation.
  auto norm = [&](std::optional<int64_t> v, int64_t def) {
    if (!v) return def;
    int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < 0) x = st < 0 ? -1 : 0;
    } else if (x >= n) {
      x = st < 0 ? n - 1 : n;
    }
    return x;
  };
  int64_t a = norm(start, st < 0 ? n - 1 : 0), b = norm(stop, st < 0 ? -1 : n);
  std::string s;
  List out;
  for (int64_t k = a; st > 0 ? k < b : k > b; k += st) {
    if (is_str) s += chars[static_cast<size_t>(k)];
    else out.push_back(items[static_cast<size_t>(k)]);
  }
  return is_str ? Value::string(std::move(s)) : Value::make_list(std::move(out));
}

Value Interpreter::eval_call(const Expr& e) {
  const Expr& callee = *e.a;
  if (callee.kind == Expr::Kind::Attr) {
    Value obj = eval(*callee.a);
    if (obj.is_dict())
      if (const Value* f = obj.dict->find(callee.name); f && f->is_function()) {
        CallArgs args = eval_args(e);
        return call(*f, args);
      }
    if (obj.is_undefined()) throw Error(obj.s.empty() ? "method '" + callee.name + "' of an undefined value" : obj.s);
    CallArgs args = eval_args(e);
    bool found = true;
    Value r = call_method(*this, obj, callee.name, args, found);
    if (found) return r;
    throw Error(object_name(obj) + " has no method '" + callee.name + "'");
  }
  Value f = eval(callee);
  CallArgs args = eval_args(e);
  return call(f, args);
}

static bool contains(const Value& container, const Value& item) {
  switch (container.kind) {
    case Value::Kind::String:
      if (!item.is_string()) throw Error(std::string("'in <string>' requires string as left operand, not ") + item.type_name());
      return container.s.find(item.s) != std::string::npos;
    case Value::Kind::List:
      for (auto& x : *container.list)
        if (equal(x, item)) return true;
      return false;
    case Value::Kind::Dict: return container.dict->find(item) != nullptr;
    case Value::Kind::Undefined: return false;
    default: throw Error(std::string("argument of type '") + container.type_name() + "' is not iterable");
  }
}

static Value arith(const std::string& op, const Value& a, const Value& b) {
  if (a.is_undefined() || b.is_undefined()) {
    const Value& u = a.is_undefined() ? a : b;
    throw Error(u.s.empty() ? "undefined value in '" + op + "'" : u.s);
  }
  if (!a.is_number() || !b.is_number())
    throw Error("unsupported operand types for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
  bool ints = !a.is_float() && !b.is_float();
  int64_t x = a.is_bool() ? a.b : a.i, y = b.is_bool() ? b.b : b.i;
  double fx = a.as_double(), fy = b.as_double();
  int64_t r = 0;
  if (op == "+") {
    if (ints && !__builtin_add_overflow(x, y, &r)) return Value::integer(r);
    return Value::number(fx + fy);
  }
  if (op == "-") {
    if (ints && !__builtin_sub_overflow(x, y, &r)) return Value::integer(r);
    return Value::number(fx - fy);
  }
  if (op == "*") {
    if (ints && !__builtin_mul_overflow(x, y, &r)) return Value::integer(r);
    return Value::number(fx * fy);
  }
  if (op == "/") {
    if (fy == 0) throw Error("division by zero");
    return Value::number(fx / fy);
  }
  if (op == "//" || op == "%") {
    if (ints) {
      if (y == 0) throw Error("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) return op == "//" ? Value::number(-static_cast<double>(x)) : Value::integer(0);
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {  // Python floors toward negative infinity
        --q;
        m += y;
      }
      return op == "//" ? Value::integer(q) : Value::integer(m);
    }
    if (fy == 0) throw Error("float division or modulo by zero");
    double q = std::floor(fx / fy);
    return op == "//" ? Value::number(q) : Value::number(fx - q * fy);
  }
  if (op == "**") {
    if (ints && y >= 0) {
      int64_t acc = 1;
      bool overflow = false;
      for (int64_t k = 0; k < y && !overflow; ++k) {
        overflow = __builtin_mul_overflow(acc, x, &acc);
        if (acc == 0 || acc == 1) break;
      }
      if (!overflow) {
        if (acc == 1 && x == -1) return Value::integer(y % 2 ? -1 : 1);
        return Value::integer(acc);
      }
    }
    return Value::number(std::pow(fx, fy));
  }
  throw Error("unknown operator " + op);
}

Value Interpreter::eval_binary(const Expr& e) {
  const std::string& op = e.name;
  if (op == "and") {
    Value a = eval(*e.a);
    return a.truthy() ? eval(*e.b) : a;
  }
  if (op == "or") {
    Value a = eval(*e.a);
    return a.truthy() ? a : eval(*e.b);
  }
  Value a = eval(*e.a), b = eval(*e.b);
  if (op == "~") {
    std::string s = a.str();
    std::string t = b.str();
    check_string(s.size() + t.size());
    return Value::string(s + t);
  }
  if (op == "==") return Value::boolean(equal(a, b));
  if (op == "!=") return Value::boolean(!equal(a, b));
  if (op == "<") return Value::boolean(compare(a, b) < 0);
  if (op == ">") return Value::boolean(compare(a, b) > 0);
  if (op == "<=") return Value::boolean(compare(a, b) <= 0);
  if (op == ">=") return Value::boolean(compare(a, b) >= 0);
  if (op == "in") return Value::boolean(contains(b, a));
  if (op == "not in") return Value::boolean(!contains(b, a));
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      check_string(a.s.size() + b.s.size());
      return Value::string(a.s + b.s);
    }
    if (a.is_list() && b.is_list()) {
      check_items(a.list->size() + b.list->size());
      List l = *a.list;
      l.insert(l.end(), b.list->begin(), b.list->end());
      return Value::make_list(std::move(l));
    }
  }
  if (op == "*" && (a.is_string() || a.is_list() || b.is_string() || b.is_list())) {
    const Value& seq = a.is_string() || a.is_list() ? a : b;
    const Value& count = &seq == &a ? b : a;
    if (!count.is_int() && !count.is_bool())
      throw Error(std::string("can't multiply sequence by non-int of type '") + count.type_name() + "'");
    int64_t n = std::max<int64_t>(0, count.is_bool() ? count.b : count.i);
    if (seq.is_string()) {
      if (n > 0) check_string(seq.s.size() * static_cast<uint64_t>(std::min<int64_t>(n, INT32_MAX)));
      std::string r;
      for (int64_t k = 0; k < n; ++k) r += seq.s;
      return Value::string(std::move(r));
    }
    if (n > 0) check_items(seq.list->size() * static_cast<uint64_t>(std::min<int64_t>(n, INT32_MAX)));
    List l;
    for (int64_t k = 0; k < n; ++k) l.insert(l.end(), seq.list->begin(), seq.list->end());
    return Value::make_list(std::move(l));
  }
  return arith(op, a, b);
}

Value Interpreter::eval(const Expr& e) {
  step();
  line_ = e.line;
  switch (e.kind) {
    case Expr::Kind::Literal: return e.value;
    case Expr::Kind::Name: return lookup(e.name);
    case Expr::Kind::List:
    case Expr::Kind::Tuple: {
      List items;
      for (auto& x : e.items) items.push_back(eval(*x));
      return e.kind == Expr::Kind::Tuple ? Value::make_tuple(std::move(items)) : Value::make_list(std::move(items));
    }
    case Expr::Kind::Dict: {
      Value d = Value::make_dict();
      for (size_t k = 0; k + 1 < e.items.size(); k += 2) {
        Value key = eval(*e.items[k]);
        d.dict->set(std::move(key), eval(*e.items[k + 1]));
      }
      return d;
    }
    case Expr::Kind::Attr: return eval_attr(eval(*e.a), e.name);
    case Expr::Kind::Index: {
      Value obj = eval(*e.a);
      return eval_index(obj, eval(*e.b));
    }
    case Expr::Kind::Slice: return eval_slice(e);
    case Expr::Kind::Call: return eval_call(e);
    case Expr::Kind::Filter: {
      Value subject = e.a ? eval(*e.a) : (block_input_ ? *block_input_ : Value());
      CallArgs args = eval_args(e);
      return filter(e.name, subject, args);
    }
    case Expr::Kind::Test: {
      Value subject = eval(*e.a);
      CallArgs args = eval_args(e);
      return Value::boolean(test(e.name, subject, args) != e.negated);
    }
    case Expr::Kind::Unary: {
      Value a = eval(*e.a);
      if (e.name == "not") return Value::boolean(!a.truthy());
      if (!a.is_number()) throw Error("bad operand type for unary " + e.name + ": '" + a.type_name() + "'");
      if (e.name == "+") return a.is_bool() ? Value::integer(a.b) : a;
      if (a.is_float()) return Value::number(-a.f);
      int64_t x = a.is_bool() ? a.b : a.i;
      if (x == INT64_MIN) return Value::number(-static_cast<double>(x));
      return Value::integer(-x);
    }
    case Expr::Kind::Binary: return eval_binary(e);
    case Expr::Kind::Cond:
      if (eval(*e.b).truthy()) return eval(*e.a);
      return e.c ? eval(*e.c) : Value::undefined();
  }
  return Value();
}

}  // namespace airlock::tmpl
