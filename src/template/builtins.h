// Jinja2's builtin filters, tests, global functions, and the Python str/list/dict methods that
// chat templates call. Each lives in its own file; the interpreter dispatches through these.
#pragma once
#include <string>

#include "template/interpreter.h"

namespace airlock::tmpl {

// Applies filter `name`; throws airlock::Error for an unknown filter or bad arguments.
Value apply_filter(Interpreter& in, const std::string& name, const Value& v, CallArgs& args);
// Evaluates test `name` (`x is name(args)`); throws for an unknown test.
bool apply_test(Interpreter& in, const std::string& name, const Value& v, CallArgs& args);
// Calls method `name` on a str, list or dict. Sets `found` false (returning Undefined) when the
// type has no such method.
Value call_method(Interpreter& in, const Value& obj, const std::string& name, CallArgs& args, bool& found);
// Adds range, namespace, dict, raise_exception, joiner, cycler-free basics to a globals dict.
void add_global_functions(Value& globals);

}  // namespace airlock::tmpl
