// Tree-walking evaluator for parsed templates, with hard limits (steps, output size, call depth,
// container size) so that a hostile template stops with an airlock::Error instead of running away.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "template/ast.h"
#include "template/value.h"

namespace airlock::tmpl {

struct Limits {
  uint64_t max_steps = 10'000'000;  // statements, expressions and loop iterations
  size_t max_output = 8u << 20;     // bytes of output, and of any single string built
  int max_depth = 64;               // nested macro calls
  size_t max_items = 1'000'000;     // elements of any list built (range, +, *)
  uint64_t max_string_bytes = 1ull << 30;  // string bytes made or copied in one render
};

class Interpreter {
 public:
  // `globals` is a dict of the names visible to the template.
  Interpreter(const Limits& limits, const Value& globals);

  // Renders a whole template. Errors carry "template line N: ".
  std::string render(const Body& body);

  // For builtins: calling values, filters and tests, and enforcing limits.
  Value call(const Value& fn, CallArgs& args);
  Value filter(const std::string& name, const Value& subject, CallArgs& args);
  bool test(const std::string& name, const Value& subject, CallArgs& args);
  void step();
  void check_string(size_t bytes) const;
  void check_items(size_t n) const;
  const Limits& limits() const { return limits_; }

 private:
  enum class Flow { Normal, Break, Continue };
  using Frame = std::unordered_map<std::string, Value>;

  Flow exec(const Body& body);
  Flow exec(const Stmt& s);
  Flow exec_for(const Stmt& s);
  void exec_set(const Stmt& s);
  void bind(const std::vector<std::string>& targets, const Value& v);
  Value make_macro(const Stmt& s);
  Value call_macro(const Stmt& m, CallArgs& a);
  std::string capture(const Body& body);

  Value eval(const Expr& e);
  Value eval_binary(const Expr& e);
  Value eval_call(const Expr& e);
  Value eval_attr(const Value& obj, const std::string& name);
  Value eval_index(const Value& obj, const Value& key);
  Value eval_slice(const Expr& e);
  CallArgs eval_args(const Expr& e);

  Value lookup(const std::string& name) const;
  void assign(const std::string& name, Value v);
  void emit(const std::string& s);

  Limits limits_;
  std::vector<Frame> frames_;  // frames_[0]: globals and top-level sets
  size_t floor_ = 0;  // inside a macro, frames below this (except globals) are invisible
  std::string* out_ = nullptr;
  const Value* block_input_ = nullptr;  // the rendered body while a {% filter %} block applies
  uint64_t steps_ = 0;
  int depth_ = 0;
  int line_ = 1;
};

// Helpers shared by the builtin filters, tests and methods.
// Items of an iterable in iteration order: list items, dict keys, string characters; an
// Undefined iterates as empty. Throws for anything else.
List iterate(const Value& v);
// The argument at `pos` or named `name`, or nullptr when not given.
const Value* arg(const CallArgs& a, size_t pos, const char* name);
// Number of Unicode code points (Python len() of a str).
size_t utf8_length(const std::string& s);
// Splits a UTF-8 string into its code points, one string each.
std::vector<std::string> utf8_chars(const std::string& s);

}  // namespace airlock::tmpl
