// Syntax tree of a parsed template: expressions and statements as plain tagged structs.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "template/value.h"

namespace airlock::tmpl {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    Literal,    // value
    Name,       // name
    List,       // items
    Tuple,      // items
    Dict,       // items: key, value, key, value, ...
    Attr,       // a.name
    Index,      // a[b]
    Slice,      // a[b:c:d], any of b/c/d may be null
    Call,       // a(items, kwargs)
    Filter,     // a | name(items, kwargs); a is null in a {% filter %} block
    Test,       // a is [not] name(items)
    Unary,      // op a   ("not", "-", "+")
    Binary,     // a op b (arithmetic, comparison, "and", "or", "in", "not in", "~")
    Cond,       // a if b else c (c may be null)
  };
  Kind kind = Kind::Literal;
  int line = 1;
  int height = 1;  // levels of the subtree rooted here (see parser.h)
  Value value;
  std::string name;  // Name, Attr, Filter, Test; operator for Unary/Binary
  bool negated = false;
  ExprPtr a, b, c, d;
  std::vector<ExprPtr> items;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    Text,      // text
    Output,    // {{ expr }}
    If,        // if expr: body else else_body (elif is a nested If in else_body)
    For,       // for targets in expr [if cond]: body else else_body
    Set,       // set targets = expr, or set name.attr = expr, or {% set targets %}body{% endset %}
    Macro,     // macro name(params): body
    FilterBlock,  // {% filter expr %}body{% endfilter %}: expr is a Filter with a null subject
    Break,
    Continue,
  };
  Kind kind = Kind::Text;
  int line = 1;
  std::string text;
  std::string name;  // Macro name; Set attribute target's attribute name
  ExprPtr expr, cond;
  std::vector<std::string> targets;
  std::vector<std::pair<std::string, ExprPtr>> params;  // Macro parameters with optional defaults
  Body body, else_body;
};

}  // namespace airlock::tmpl
