// Hostile or broken templates stop with a one-line airlock::Error naming the line: syntax
// errors, runaway loops, huge strings and outputs, deep recursion, self-containing values.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "template/chat_template.h"
#include "template/template.h"

using namespace airlock;
using namespace airlock::tmpl;

namespace {

// The error message of parsing and rendering `src`, or "" if it rendered.
std::string error_of(const std::string& src, const TemplateOptions& opt = {}) {
  try {
    Template(src, opt).render(Value::make_dict());
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "error message must be one line: " << m;
    return m;
  }
  return "";
}

void expect_error(const std::string& src, const std::string& needle, const TemplateOptions& opt = {}) {
  SCOPED_TRACE(src.substr(0, 200));
  auto t0 = std::chrono::steady_clock::now();
  std::string m = error_of(src, opt);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(m.find(needle), std::string::npos) << "error was: '" << m << "'";
  EXPECT_EQ(m.rfind("template line ", 0), 0u) << m;
  EXPECT_LT(secs, 30.0);  // generous: CI machines are shared; the point is that it stops
}

}  // namespace

TEST(TemplateSafety, SyntaxErrorsNameTheLine) {
  EXPECT_EQ(error_of("a\nb\n{{ x "), "template line 3: unterminated '{{' tag");
  EXPECT_EQ(error_of("{% if x %}\nno end"), "template line 2: missing '{% endif %}'");
  EXPECT_EQ(error_of("\n{% frobnicate %}"), "template line 2: unknown tag 'frobnicate'");
  EXPECT_EQ(error_of("{{ 1 + }}"), "template line 1: unexpected '}}' in expression");
  EXPECT_EQ(error_of("{% endfor %}"), "template line 1: unexpected '{% endfor %}'");
  EXPECT_EQ(error_of("{% break %}"), "template line 1: 'break' outside of a loop");
  EXPECT_EQ(error_of("{{ 'abc }}"), "template line 1: unterminated string literal");
  EXPECT_EQ(error_of("{# never closed"), "template line 1: unterminated comment");
  EXPECT_EQ(error_of("{{ a ) }}"), "template line 1: unexpected ')'");
  EXPECT_EQ(error_of("{{ 99999999999999999999 }}"), "template line 1: integer literal 99999999999999999999 is out of range");
  EXPECT_EQ(error_of("{{ x | }}"), "template line 1: expected a name, got '}}'");
  EXPECT_EQ(error_of("{{ 1 $ 2 }}"), "template line 1: unexpected character '$' in tag");
}

TEST(TemplateSafety, RenderErrorsNameTheLine) {
  EXPECT_EQ(error_of("ok\n\n{{ x.y }}"), "template line 3: 'x' is undefined");
  EXPECT_EQ(error_of("{{ [1] < 'a' }}"), "template line 1: cannot compare 'list' with 'str'");
  EXPECT_EQ(error_of("{{ 'a' | nope }}"), "template line 1: unknown filter 'nope'");
  EXPECT_EQ(error_of("{{ 1 is nope }}"), "template line 1: unknown test 'nope'");
  EXPECT_EQ(error_of("{% set x = 1 %}{% set x.a = 2 %}"),
            "template line 1: cannot assign attribute 'a' on 'x': not a namespace");
  EXPECT_EQ(error_of("{% for a, b in [[1, 2, 3]] %}{% endfor %}"), "template line 1: cannot unpack 3 values into 2 names");
  EXPECT_EQ(error_of("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"),
            "template line 1: macro 'm' takes 1 arguments, got 2");
  EXPECT_EQ(error_of("{{ raise_exception('custom message') }}"), "template line 1: custom message");
  EXPECT_EQ(error_of("{{ 'x'.nomethod() }}"), "template line 1: 'str object' has no method 'nomethod'");
  EXPECT_EQ(error_of("{{ 1 + 'a' }}"), "template line 1: unsupported operand types for +: 'int' and 'str'");
  EXPECT_EQ(error_of("{{ [1, 2][::0] }}"), "template line 1: slice step cannot be zero");
}

TEST(TemplateSafety, RunawayLoopsStop) {
  expect_error("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "steps");
  TemplateOptions small;
  small.limits.max_steps = 1000;
  expect_error("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", "1000 steps", small);
  expect_error("{{ range(1000000000000)|length }}", "items exceeds");
  // A list that doubles itself each iteration.
  expect_error("{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
               "items exceeds");
}

TEST(TemplateSafety, HugeStringsAndOutputStop) {
  expect_error("{% set s = 'x' * 100000000 %}", "exceeds the limit");
  expect_error("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
               "exceeds the limit");
  expect_error("{% for i in range(1000000) %}{{ 'xxxxxxxxxxxxxxxxxxxx' }}{% endfor %}", "output exceeds");
  expect_error("{{ ('x' * 1000000)|replace('x', 'yyyyyyyyyy') }}", "exceeds");
  // Many copies of one big string: each is within the limits, together they are not.
  expect_error("{% set s = 'x' * 4000000 %}{% set l = [s] * 100000 %}", "bytes of strings");
  expect_error("{% set s = 'x' * 4000000 %}{% set l = [] %}{% for i in range(100000) %}{{ l.append(s) }}{% endfor %}",
               "bytes of strings");
}

TEST(TemplateSafety, DeepRecursionStops) {
  expect_error("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", "call depth exceeds 64");
  expect_error("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}", "nested too deeply");
  std::string ifs;
  for (int k = 0; k < 5000; ++k) ifs += "{% if true %}";
  expect_error(ifs, "nested too deeply");
  expect_error("{{ " + std::string(5000, '-') + "1 }}", "nested too deeply");
  expect_error("{{ " + std::string(3000, '[') + std::string(3000, ']') + " }}", "nested too deeply");
  expect_error("{% set l = [] %}{{ l.append(l) }}{{ l }}", "nested too deeply");
  expect_error("{% set l = [] %}{{ l.append(l) }}{{ l|tojson }}", "nested too deeply");
}

TEST(TemplateSafety, StepLimitAllowsRealTemplates) {
  // A long conversation through a loop-heavy template stays far inside the default limits.
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (int k = 0; k < 2000; ++k)
    messages.push_back({{"role", k % 2 ? "assistant" : "user"}, {"content", std::string(200, 'a' + k % 26)}});
  ChatOptions opt;
  opt.date = "2026-01-15";
  std::string out = ChatTemplate(kChatMLTemplate).render(messages, opt);
  EXPECT_EQ(out.size(), 2000 * (200 + std::string("<|im_start|>\n<|im_end|>\n").size()) + 1000 * (4 + 9));
}

TEST(ChatTemplateApi, ChatMLFallbackWhenMissingOrBroken) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::parse(R"([{"role":"user","content":"Hi"}])");
  ChatOptions opt;
  opt.add_generation_prompt = true;
  const std::string chatml = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
  ChatTemplate missing = ChatTemplate::or_chatml("", "test model");
  EXPECT_TRUE(missing.is_chatml_fallback());
  EXPECT_EQ(missing.render(messages, opt), chatml);
  ChatTemplate broken = ChatTemplate::or_chatml("{% if messages %}unterminated", "test model");
  EXPECT_TRUE(broken.is_chatml_fallback());
  EXPECT_EQ(broken.render(messages, opt), chatml);
  ChatTemplate good = ChatTemplate::or_chatml("{{ messages[0].content }}", "test model");
  EXPECT_FALSE(good.is_chatml_fallback());
  EXPECT_EQ(good.render(messages, opt), "Hi");
}

TEST(ChatTemplateApi, VariablesReachTheTemplate) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::parse(R"([{"role":"user","content":"Hi"}])");
  ChatOptions opt;
  opt.bos_token = "<s>";
  opt.eos_token = "</s>";
  opt.date = "2024-02-29";
  opt.tools = nlohmann::ordered_json::parse(R"([{"z": 1, "a": 2}])");
  opt.extra = {{"enable_thinking", false}};
  std::string src =
      "{{ bos_token }}{{ add_generation_prompt }}{{ tools|tojson }}{{ strftime_now('%d %B %Y, %A') }}"
      "{{ enable_thinking }}{{ eos_token }}{{ undefined_thing is defined }}";
  EXPECT_EQ(render_chat(src, messages, opt), "<s>False[{\"z\": 1, \"a\": 2}]29 February 2024, ThursdayFalse</s>False");
  opt.date = "2024-13-01";
  EXPECT_THROW(render_chat(src, messages, opt), Error);
  EXPECT_THROW(render_chat(src, nlohmann::ordered_json::object(), ChatOptions{}), Error);
}

TEST(ChatTemplateApi, ParseOnceRenderMany) {
  ChatTemplate t("{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}");
  ChatOptions opt;
  for (int k = 0; k < 3; ++k) {
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    messages.push_back({{"role", "user"}, {"content", std::to_string(k)}});
    EXPECT_EQ(t.render(messages, opt), "user:" + std::to_string(k) + ";");
  }
}
