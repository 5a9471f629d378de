// A parsed Jinja2 template: parse once, render many times (rendering does not modify it, so one
// Template may be rendered from several threads at once).
#pragma once
#include <string>

#include "template/ast.h"
#include "template/interpreter.h"
#include "template/value.h"

namespace airlock::tmpl {

struct TemplateOptions {
  bool trim_blocks = false;
  bool lstrip_blocks = false;
  Limits limits;
};

class Template {
 public:
  // Throws airlock::Error ("template line N: ...") on a syntax error.
  explicit Template(const std::string& source, const TemplateOptions& opt = {});

  // `context` is a dict of variables; range, namespace, dict and raise_exception are always
  // available (context entries of the same name take precedence). Throws airlock::Error
  // ("template line N: ...") on a render error, including raise_exception(msg) and limits.
  // Lists and dicts the render creates are emptied when it returns (see ContainerArena), even
  // ones it stored into `context`.
  std::string render(const Value& context) const;

 private:
  TemplateOptions opt_;
  Body body_;
};

}  // namespace airlock::tmpl
