#include "template/template.h"

#include "template/builtins.h"
#include "template/lexer.h"
#include "template/parser.h"

namespace airlock::tmpl {

Template::Template(const std::string& source, const TemplateOptions& opt) : opt_(opt) {
  LexOptions lo;
  lo.trim_blocks = opt.trim_blocks;
  lo.lstrip_blocks = opt.lstrip_blocks;
  body_ = parse(lex(source, lo));
}

std::string Template::render(const Value& context) const {
  ContainerArena arena;  // empties what the render built, cycles included, once it is done
  Value globals = Value::make_dict();
  add_global_functions(globals);
  if (context.is_dict())
    for (auto& [k, v] : context.dict->items) globals.dict->set(k, v);
  Interpreter in(opt_.limits, globals);
  return in.render(body_);
}

}  // namespace airlock::tmpl
