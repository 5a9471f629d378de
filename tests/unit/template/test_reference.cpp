// The interpreter against Python Jinja2's own output (reference_cases.inc, written by
// gen_reference_cases.py): one template per feature area, plus fixture chat templates rendered
// with tools and tool calls.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "template/chat_template.h"
#include "template/template.h"

using namespace airlock;
using namespace airlock::tmpl;
using nlohmann::ordered_json;

namespace {

struct ReferenceCase {
  const char* name;
  const char* source;
  bool chat;  // hub settings (trim_blocks, lstrip_blocks) or a plain Environment
  const char* expected;
};
struct ReferenceError {
  const char* name;
  const char* source;
  const char* message;
};
struct ReferenceTemplate {
  const char* file;
  const char* context;
  const char* expected;
};

#include "reference_cases.inc"

Value reference_context() {
  Value ctx = Value::from_json(ordered_json::parse(kReferenceContext));
  ctx.dict->set(Value::string("strftime_now"), Value::function([](Interpreter&, CallArgs& a) {
                  return Value::string(format_date("2026-01-15", a.args.at(0).s));
                }));
  return ctx;
}

TemplateOptions options(bool chat) {
  TemplateOptions o;
  o.trim_blocks = o.lstrip_blocks = chat;
  return o;
}

}  // namespace

TEST(TemplateReference, EveryFeatureCaseMatchesJinja2) {
  for (const auto& c : kReferenceCases) {
    SCOPED_TRACE(std::string(c.name) + (c.chat ? " (chat settings)" : " (plain)"));
    try {
      EXPECT_EQ(Template(c.source, options(c.chat)).render(reference_context()), c.expected);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

TEST(TemplateReference, ErrorsCarryJinja2sMessageAndLine) {
  for (const auto& c : kReferenceErrors) {
    SCOPED_TRACE(c.name);
    try {
      std::string out = Template(c.source, options(true)).render(reference_context());
      ADD_FAILURE() << "rendered instead of failing: " << out;
    } catch (const Error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find(c.message), std::string::npos) << m;
      EXPECT_EQ(m.rfind("template line 1: ", 0), 0u) << m;
    }
  }
}

TEST(TemplateReference, FixtureTemplatesWithToolCalls) {
  AIRLOCK_REQUIRE_FIXTURES();
  for (const auto& c : kToolRenders) {
    SCOPED_TRACE(c.file);
    ordered_json ctx = ordered_json::parse(c.context);
    ChatOptions opt;
    opt.add_generation_prompt = ctx["add_generation_prompt"].get<bool>();
    opt.bos_token = ctx["bos_token"].get<std::string>();
    opt.eos_token = ctx["eos_token"].get<std::string>();
    opt.tools = ctx["tools"];
    opt.date = "2026-01-15";  // the date gen_reference_cases.py gives strftime_now
    try {
      ChatTemplate t(fixtures::read_file(fixtures::dir() / "templates" / c.file));
      EXPECT_EQ(t.render(ctx["messages"], opt), c.expected);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
}
