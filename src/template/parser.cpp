#include "template/parser.h"

#include <airlock/error.h>

#include <initializer_list>

namespace airlock::tmpl {
namespace {

class Parser {
 public:
  explicit Parser(const std::vector<Token>& toks) : t_(toks) {}

  Body parse_all() {
    Body body = parse_body({});
    if (cur().type != Tok::Eof) fail("unexpected '{% " + peek_block_name() + " %}'");
    return body;
  }

 private:
  // Guards recursion in both statements and expressions.
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p(p) {
      if (++p.depth_ > kMaxParseDepth) p.fail("template nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
    Parser& p;
  };

  const Token& cur() const { return t_[pos_]; }
  const Token& next_tok() const { return t_[pos_ + 1 < t_.size() ? pos_ + 1 : pos_]; }
  void advance() {
    if (pos_ + 1 < t_.size()) ++pos_;
  }

  [[noreturn]] void fail(const std::string& msg) const {
    throw Error("template line " + std::to_string(cur().line) + ": " + msg);
  }

  bool is_op(const char* op) const { return cur().type == Tok::Op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Tok::Name && cur().text == n; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(const char* n) {
    if (!is_name(n)) return false;
    advance();
    return true;
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) fail(std::string("expected '") + op + "', got " + describe());
  }
  std::string expect_name() {
    if (cur().type != Tok::Name) fail("expected a name, got " + describe());
    std::string n = cur().text;
    advance();
    return n;
  }
  void expect_block_end() {
    if (cur().type != Tok::BlockEnd) fail("expected '%}', got " + describe());
    advance();
  }
  std::string describe() const {
    switch (cur().type) {
      case Tok::Eof: return "end of template";
      case Tok::BlockEnd: return "'%}'";
      case Tok::VarEnd: return "'}}'";
      case Tok::Text: return "text";
      case Tok::String: return "a string";
      default: return "'" + cur().text + "'";
    }
  }
  std::string peek_block_name() const {
    return next_tok().type == Tok::Name ? next_tok().text : std::string("?");
  }

  // Parses statements until a block tag whose name is in `stop` (left unconsumed, positioned at
  // the BlockBegin) or the end of input.
  Body parse_body(std::initializer_list<const char*> stop) {
    DepthGuard g(*this);
    Body body;
    while (cur().type != Tok::Eof) {
      if (cur().type == Tok::Text) {
        auto s = make(Stmt::Kind::Text);
        s->text = cur().text;
        advance();
        body.push_back(std::move(s));
      } else if (cur().type == Tok::VarBegin) {
        auto s = make(Stmt::Kind::Output);
        advance();
        s->expr = parse_expr();
        if (cur().type != Tok::VarEnd) fail("expected '}}', got " + describe());
        advance();
        body.push_back(std::move(s));
      } else if (cur().type == Tok::BlockBegin) {
        std::string name = peek_block_name();
        for (const char* st : stop)
          if (name == st) return body;
        advance();
        body.push_back(parse_statement());
      } else {
        fail("unexpected " + describe());
      }
    }
    return body;
  }

  StmtPtr make(Stmt::Kind k) const {
    auto s = std::make_unique<Stmt>();
    s->kind = k;
    s->line = cur().line;
    return s;
  }

  // Consumes `{% name` of an expected closing tag.
  void expect_tag(const char* name) {
    if (cur().type != Tok::BlockBegin) fail(std::string("missing '{% ") + name + " %}'");
    advance();
    if (!skip_name(name)) fail(std::string("expected '{% ") + name + " %}'");
  }

  StmtPtr parse_statement() {
    std::string kw = expect_name();
    if (kw == "if") return parse_if();
    if (kw == "for") return parse_for();
    if (kw == "set") return parse_set();
    if (kw == "macro") return parse_macro();
    if (kw == "filter") return parse_filter_block();
    if (kw == "break" || kw == "continue") {
      auto s = make(kw == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue);
      if (loop_depth_ == 0) fail("'" + kw + "' outside of a loop");
      expect_block_end();
      return s;
    }
    if (kw.starts_with("end") || kw == "elif" || kw == "else") fail("unexpected '{% " + kw + " %}'");
    fail("unknown tag '" + kw + "'");
  }

  StmtPtr parse_if() {
    auto s = make(Stmt::Kind::If);
    s->cond = parse_expr();
    expect_block_end();
    s->body = parse_body({"elif", "else", "endif"});
    if (cur().type == Tok::Eof) fail("missing '{% endif %}'");
    advance();
    std::string kw = expect_name();
    if (kw == "elif") {
      s->else_body.push_back(parse_if());
      return s;  // the nested if consumed the endif
    }
    if (kw == "else") {
      expect_block_end();
      s->else_body = parse_body({"endif"});
      expect_tag("endif");
    }
    expect_block_end();
    return s;
  }

  std::vector<std::string> parse_targets() {
    std::vector<std::string> names;
    bool paren = skip_op("(");
    names.push_back(expect_name());
    while (skip_op(",")) names.push_back(expect_name());
    if (paren) expect_op(")");
    return names;
  }

  StmtPtr parse_for() {
    auto s = make(Stmt::Kind::For);
    s->targets = parse_targets();
    if (!skip_name("in")) fail("expected 'in' in for loop, got " + describe());
    s->expr = parse_or_tuple_no_cond();
    if (skip_name("if")) s->cond = parse_expr();
    if (is_name("recursive")) fail("recursive for loops are not supported");
    expect_block_end();
    ++loop_depth_;
    s->body = parse_body({"else", "endfor"});
    --loop_depth_;
    if (cur().type == Tok::Eof) fail("missing '{% endfor %}'");
    advance();
    std::string kw = expect_name();
    if (kw == "else") {
      expect_block_end();
      s->else_body = parse_body({"endfor"});
      expect_tag("endfor");
    }
    expect_block_end();
    return s;
  }

  // The iterable of a for loop: an expression without the trailing `if` (which filters items).
  ExprPtr parse_or_tuple_no_cond() {
    ExprPtr e = parse_or();
    if (!is_op(",")) return e;
    auto t = make_expr(Expr::Kind::Tuple);
    t->items.push_back(std::move(e));
    while (skip_op(",")) t->items.push_back(parse_or());
    return t;
  }

  StmtPtr parse_set() {
    auto s = make(Stmt::Kind::Set);
    std::string first = expect_name();
    if (skip_op(".")) {
      s->targets.push_back(first);
      s->name = expect_name();
    } else {
      s->targets.push_back(first);
      while (skip_op(",")) s->targets.push_back(expect_name());
    }
    if (skip_op("=")) {
      s->expr = parse_tuple_expr();
      expect_block_end();
      return s;
    }
    if (!s->name.empty() || s->targets.size() != 1) fail("block set needs a single name");
    expect_block_end();
    s->body = parse_body({"endset"});
    expect_tag("endset");
    expect_block_end();
    return s;
  }

  StmtPtr parse_macro() {
    auto s = make(Stmt::Kind::Macro);
    s->name = expect_name();
    expect_op("(");
    while (!skip_op(")")) {
      if (!s->params.empty()) expect_op(",");
      if (skip_op(")")) break;
      std::string p = expect_name();
      ExprPtr def;
      if (skip_op("=")) def = parse_expr();
      s->params.emplace_back(std::move(p), std::move(def));
    }
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_body({"endmacro"});
    loop_depth_ = saved;
    expect_tag("endmacro");
    if (cur().type == Tok::Name) advance();  // optional repeated macro name
    expect_block_end();
    return s;
  }

  StmtPtr parse_filter_block() {
    auto s = make(Stmt::Kind::FilterBlock);
    ExprPtr chain;  // null subject: the block's rendered body is fed in at run time
    do {
      chain = parse_filter_call(std::move(chain));
    } while (skip_op("|"));
    s->expr = std::move(chain);
    expect_block_end();
    s->body = parse_body({"endfilter"});
    expect_tag("endfilter");
    expect_block_end();
    return s;
  }

  // ---- expressions ----

  ExprPtr make_expr(Expr::Kind k) const {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = cur().line;
    return e;
  }

  ExprPtr binary(std::string op, ExprPtr a, ExprPtr b) const {
    auto e = make_expr(Expr::Kind::Binary);
    e->name = std::move(op);
    e->a = std::move(a);
    e->b = std::move(b);
    return e;
  }

  // Top level of {{ }} and `set x = ...`: allows an unparenthesised tuple.
  ExprPtr parse_tuple_expr() {
    ExprPtr e = parse_expr();
    if (!is_op(",")) return e;
    auto t = make_expr(Expr::Kind::Tuple);
    t->items.push_back(std::move(e));
    while (skip_op(",")) t->items.push_back(parse_expr());
    return t;
  }

  ExprPtr parse_expr() {
    DepthGuard g(*this);
    ExprPtr e = parse_or();
    while (is_name("if")) {
      advance();
      auto c = make_expr(Expr::Kind::Cond);
      c->a = std::move(e);
      c->b = parse_or();
      if (skip_name("else")) c->c = parse_expr();
      e = std::move(c);
    }
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (skip_name("or")) e = binary("or", std::move(e), parse_and());
    return e;
  }

  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (skip_name("and")) e = binary("and", std::move(e), parse_not());
    return e;
  }

  ExprPtr parse_not() {
    DepthGuard g(*this);
    if (is_name("not")) {
      auto u = make_expr(Expr::Kind::Unary);
      advance();
      u->name = "not";
      u->a = parse_not();
      return u;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    ExprPtr e = parse_math1();
    while (true) {
      std::string op;
      if (cur().type == Tok::Op &&
          (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == ">" ||
           cur().text == "<=" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && next_tok().type == Tok::Name && next_tok().text == "in") {
        op = "not in";
        advance();
        advance();
      } else {
        return e;
      }
      e = binary(op, std::move(e), parse_math1());
    }
  }

  ExprPtr parse_math1() {
    ExprPtr e = parse_concat();
    while (is_op("+") || is_op("-")) {
      std::string op = cur().text;
      advance();
      e = binary(op, std::move(e), parse_concat());
    }
    return e;
  }

  ExprPtr parse_concat() {
    ExprPtr e = parse_math2();
    while (skip_op("~")) e = binary("~", std::move(e), parse_math2());
    return e;
  }

  ExprPtr parse_math2() {
    ExprPtr e = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      std::string op = cur().text;
      advance();
      e = binary(op, std::move(e), parse_pow());
    }
    return e;
  }

  ExprPtr parse_pow() {
    ExprPtr e = parse_unary(true);
    while (skip_op("**")) e = binary("**", std::move(e), parse_unary(true));
    return e;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard g(*this);
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      auto u = make_expr(Expr::Kind::Unary);
      u->name = cur().text;
      advance();
      u->a = parse_unary(false);
      e = std::move(u);
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    if (t.type == Tok::Name) {
      const std::string& n = t.text;
      auto lit = make_expr(Expr::Kind::Literal);
      if (n == "true" || n == "True") lit->value = Value::boolean(true);
      else if (n == "false" || n == "False") lit->value = Value::boolean(false);
      else if (n == "none" || n == "None") lit->value = Value::none();
      else {
        auto e = make_expr(Expr::Kind::Name);
        e->name = n;
        advance();
        return e;
      }
      advance();
      return lit;
    }
    if (t.type == Tok::String) {
      auto lit = make_expr(Expr::Kind::Literal);
      std::string s;
      while (cur().type == Tok::String) {  // adjacent literals concatenate, as in Python
        s += cur().text;
        advance();
      }
      lit->value = Value::string(std::move(s));
      return lit;
    }
    if (t.type == Tok::Int || t.type == Tok::Float) {
      auto lit = make_expr(Expr::Kind::Literal);
      lit->value = t.type == Tok::Int ? Value::integer(t.i) : Value::number(t.f);
      advance();
      return lit;
    }
    if (skip_op("(")) {
      if (skip_op(")")) return make_expr(Expr::Kind::Tuple);
      ExprPtr e = parse_expr();
      if (is_op(",")) {
        auto tup = make_expr(Expr::Kind::Tuple);
        tup->items.push_back(std::move(e));
        while (skip_op(",")) {
          if (is_op(")")) break;
          tup->items.push_back(parse_expr());
        }
        e = std::move(tup);
      }
      expect_op(")");
      return e;
    }
    if (skip_op("[")) {
      auto l = make_expr(Expr::Kind::List);
      while (!skip_op("]")) {
        if (!l->items.empty()) expect_op(",");
        if (skip_op("]")) break;
        l->items.push_back(parse_expr());
      }
      return l;
    }
    if (skip_op("{")) {
      auto d = make_expr(Expr::Kind::Dict);
      while (!skip_op("}")) {
        if (!d->items.empty()) expect_op(",");
        if (skip_op("}")) break;
        d->items.push_back(parse_expr());
        expect_op(":");
        d->items.push_back(parse_expr());
      }
      return d;
    }
    fail("unexpected " + describe() + " in expression");
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      if (is_op(".")) {
        advance();
        auto a = make_expr(Expr::Kind::Attr);
        if (cur().type == Tok::Int) {  // foo.0 means foo[0]
          a->kind = Expr::Kind::Index;
          auto lit = make_expr(Expr::Kind::Literal);
          lit->value = Value::integer(cur().i);
          a->b = std::move(lit);
          advance();
        } else {
          a->name = expect_name();
        }
        a->a = std::move(e);
        e = std::move(a);
      } else if (is_op("[")) {
        advance();
        e = parse_subscript(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr obj) {
    ExprPtr parts[3];
    bool slice = false;
    int k = 0;
    while (true) {
      if (is_op(":")) {
        if (k >= 2) fail("too many ':' in slice");
        slice = true;
        advance();
        ++k;
        continue;
      }
      if (is_op("]")) break;
      if (parts[k]) fail("expected ':' or ']' in subscript, got " + describe());
      parts[k] = parse_expr();
    }
    expect_op("]");
    auto e = make_expr(slice ? Expr::Kind::Slice : Expr::Kind::Index);
    e->a = std::move(obj);
    if (slice) {
      e->b = std::move(parts[0]);
      e->c = std::move(parts[1]);
      e->d = std::move(parts[2]);
    } else {
      if (!parts[0]) fail("empty subscript");
      e->b = std::move(parts[0]);
    }
    return e;
  }

  void parse_call_args(Expr& e) {
    expect_op("(");
    bool first = true;
    while (!skip_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (skip_op(")")) break;
      if (cur().type == Tok::Name && next_tok().type == Tok::Op && next_tok().text == "=") {
        std::string key = cur().text;
        advance();
        advance();
        e.kwargs.emplace_back(std::move(key), parse_expr());
      } else {
        if (!e.kwargs.empty()) fail("positional argument after keyword argument");
        e.items.push_back(parse_expr());
      }
    }
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto e = make_expr(Expr::Kind::Call);
    e->a = std::move(callee);
    parse_call_args(*e);
    return e;
  }

  ExprPtr parse_filter_call(ExprPtr subject) {
    auto f = make_expr(Expr::Kind::Filter);
    f->name = expect_name();
    while (skip_op(".")) f->name += "." + expect_name();
    f->a = std::move(subject);
    if (is_op("(")) parse_call_args(*f);
    return f;
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    while (true) {
      if (skip_op("|")) {
        e = parse_filter_call(std::move(e));
      } else if (is_name("is")) {
        advance();
        auto t = make_expr(Expr::Kind::Test);
        t->negated = skip_name("not");
        t->name = expect_name();
        t->a = std::move(e);
        if (is_op("(")) {
          parse_call_args(*t);
        } else if ((cur().type == Tok::Name || cur().type == Tok::String || cur().type == Tok::Int ||
                    cur().type == Tok::Float || is_op("[") || is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and") && !is_name("is")) {
          // One bare argument: `x is divisibleby 3`, `x is equalto 'a'`.
          t->items.push_back(parse_postfix(parse_primary()));
        }
        e = std::move(t);
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  const std::vector<Token>& t_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens) { return Parser(tokens).parse_all(); }

}  // namespace airlock::tmpl
