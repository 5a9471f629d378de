// The server's tool-calling mapping without a model: which templates get call markers, how
// tools and tool_choice become a grammar, how tool turns are readied for a template, the shapes
// of a call in each API, and how a streamed reply is split into text and a held-back call.
#include <airlock/error.h>
#include <gtest/gtest.h>

#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "server/tools.h"
#include "support/fixtures.h"
#include "support/tool_conversation.h"
#include "template/chat_template.h"

namespace airlock::server {
namespace {

using ojson = nlohmann::ordered_json;

const ojson kTools = ojson::parse(R"([
  {"type": "function", "function": {"name": "add",
    "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}},
  {"type": "function", "function": {"name": "now"}}])");

std::string template_source(const std::string& name) {
  return fixtures::read_file(fixtures::dir() / "templates" / (name + ".jinja"));
}

TEST(ServerTools, MarkersOnlyForTemplatesThatTeachThem) {
  AIRLOCK_REQUIRE_FIXTURES();
  // Qwen2.5 and Hermes instruct the model to answer "<tool_call>\n{...}\n</tool_call>".
  for (const char* name : {"Qwen-Qwen2.5-7B-Instruct", "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use",
                           "NousResearch-Hermes-3-Llama-3.1-8B-tool_use"}) {
    const ToolCallSyntax s = tool_call_syntax(template_source(name));
    EXPECT_EQ(s.prefix, "<tool_call>\n") << name;
    EXPECT_EQ(s.suffix, "\n</tool_call>") << name;
  }
  // Llama 3.x asks for a bare JSON object; the others have their own non-JSON forms we do not
  // produce, so they get the generic call.
  for (const char* name : {"meta-llama-Llama-3.1-8B-Instruct", "meta-llama-Llama-3.2-3B-Instruct",
                           "mistralai-Mistral-Nemo-Instruct-2407", "meetkai-functionary-medium-v3.2"}) {
    const ToolCallSyntax s = tool_call_syntax(template_source(name));
    EXPECT_TRUE(s.prefix.empty() && s.suffix.empty()) << name;
  }
  EXPECT_TRUE(tool_call_syntax(tmpl::kChatMLTemplate).prefix.empty());
}

TEST(ServerTools, ToolChoiceShapesTheSetup) {
  EXPECT_FALSE(tool_setup(nullptr, nullptr, "").active());
  EXPECT_FALSE(tool_setup(ojson::array(), "auto", "").active());
  const ToolSetup aut = tool_setup(kTools, nullptr, "");
  ASSERT_TRUE(aut.active());
  EXPECT_EQ(aut.template_tools, kTools);
  const ToolSetup none = tool_setup(kTools, "none", "");
  EXPECT_FALSE(none.active());
  EXPECT_TRUE(none.template_tools.is_null());
  EXPECT_TRUE(tool_setup(kTools, "required", "").active());
  // A named tool: the template still sees every tool.
  const ToolSetup named = tool_setup(kTools, {{"type", "function"}, {"function", {{"name", "now"}}}}, "");
  EXPECT_EQ(named.template_tools, kTools);
  const ToolSetup qwen = tool_setup(kTools, nullptr, "... <tool_call> ...");
  EXPECT_EQ(qwen.syntax.prefix, "<tool_call>\n");

  auto error = [](const ojson& tools, const ojson& choice) {
    try {
      tool_setup(tools, choice, "");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(kTools, {{"type", "function"}, {"function", {{"name", "sub"}}}}),
            "tool_choice.function.name: no tool named 'sub' in tools");
  EXPECT_NE(error(kTools, "always").find("tool_choice: expected"), std::string::npos);
  EXPECT_EQ(error(nullptr, "required"), "tool_choice: requires tools");
  EXPECT_EQ(error("add", nullptr), "tools: expected an array of function tools");
  EXPECT_NE(error(ojson::parse(R"([{"type": "function", "function": {}}])"), nullptr).find("tools[0].function.name"),
            std::string::npos);
  // "none" still rejects a bad tools array: it is the caller's mistake either way.
  EXPECT_NE(error(ojson::parse(R"([{"function": {"name": "f", "parameters": {"type": "object", "zzz": 1}}}])"), "none")
                .find("tools[0].function.parameters"),
            std::string::npos);
}

TEST(ServerTools, ToolTurnsGetObjectArgumentsAndNames) {
  ojson messages = ojson::parse(R"([
    {"role": "user", "content": "2+3?"},
    {"role": "assistant", "content": "", "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": "{\"b\": 3, \"a\": 2}"}},
      {"function": {"name": "now", "arguments": {}}},
      {"function": {"name": "now"}}]},
    {"role": "tool", "tool_name": "add", "content": "5"}])");
  prepare_tool_messages(messages);
  const ojson& calls = messages[1]["tool_calls"];
  EXPECT_EQ(calls[0]["function"]["arguments"].dump(), R"({"b":3,"a":2})");  // key order kept
  EXPECT_EQ(calls[1]["function"]["arguments"], ojson::object());
  EXPECT_EQ(calls[2]["function"]["arguments"], ojson::object());
  EXPECT_EQ(messages[2]["name"], "add");

  auto error = [](const char* text) {
    ojson m = ojson::parse(text);
    try {
      prepare_tool_messages(m);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(R"([{"role": "user"}, {"role": "assistant", "tool_calls": [{"function": {"name": "a", "arguments": "{"}}]}])"),
            "messages[1].tool_calls[0].function.arguments: not valid JSON");
  EXPECT_EQ(error(R"([{"role": "assistant", "tool_calls": [{"function": {"name": "a", "arguments": "[1]"}}]}])"),
            "messages[0].tool_calls[0].function.arguments: expected a JSON object");
  EXPECT_EQ(error(R"([{"role": "assistant", "tool_calls": {}}])"), "messages[0].tool_calls: expected an array");
  EXPECT_EQ(error(R"([{"role": "assistant", "tool_calls": [{"name": "a"}]}])"),
            "messages[0].tool_calls[0].function: expected an object with name and arguments");
}

TEST(ServerTools, ToolConversationRendersAsTheQwenModelCardShows) {
  AIRLOCK_REQUIRE_FIXTURES();
  const tmpl::ChatTemplate qwen(template_source("Qwen-Qwen2.5-7B-Instruct"));
  ojson messages = ojson::parse(tool_conversation::kMessages);
  prepare_tool_messages(messages);
  tmpl::ChatOptions opt;
  opt.add_generation_prompt = true;
  opt.tools = ojson::array({ojson::parse(tool_conversation::kTool)});
  EXPECT_EQ(qwen.render(messages, opt), tool_conversation::kQwenRendering);
}

// Every tool-aware fixture template takes the readied conversation: none raises, each shows the
// call's arguments as an object (not the JSON text OpenAI sent) and the tool's result.
TEST(ServerTools, ToolConversationRendersThroughEveryToolAwareTemplate) {
  AIRLOCK_REQUIRE_FIXTURES();
  ojson messages = ojson::parse(tool_conversation::kMessages);
  prepare_tool_messages(messages);
  tmpl::ChatOptions opt;
  opt.add_generation_prompt = true;
  opt.bos_token = "<s>";
  opt.eos_token = "</s>";
  opt.date = "2024-07-26";
  opt.tools = ojson::array({ojson::parse(tool_conversation::kTool)});
  for (const char* name : {"Qwen-Qwen2.5-7B-Instruct", "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use",
                           "NousResearch-Hermes-3-Llama-3.1-8B-tool_use", "meta-llama-Llama-3.1-8B-Instruct",
                           "meta-llama-Llama-3.2-3B-Instruct", "meta-llama-Llama-3.3-70B-Instruct",
                           "mistralai-Mistral-Nemo-Instruct-2407"}) {
    std::string out;
    try {
      out = tmpl::ChatTemplate(template_source(name)).render(messages, opt);
    } catch (const Error& e) {
      ADD_FAILURE() << name << ": " << e.what();
      continue;
    }
    EXPECT_NE(out.find("get_weather"), std::string::npos) << name;
    EXPECT_NE(out.find(R"("city": "Paris")"), std::string::npos) << name << ":\n" << out;
    EXPECT_EQ(out.find(R"(\"city\")"), std::string::npos) << name << ": arguments rendered as JSON text:\n" << out;
    EXPECT_NE(out.find("21"), std::string::npos) << name;
  }
}

TEST(ServerTools, CallShapesOfEachApi) {
  const ToolCall call{"add", ojson::parse(R"({"a": 2})")};
  EXPECT_EQ(native_tool_call(call), nlohmann::json::parse(R"({"function": {"name": "add", "arguments": {"a": 2}}})"));
  EXPECT_EQ(openai_tool_call(call, "call_x"),
            nlohmann::json::parse(R"({"id": "call_x", "type": "function", "function": {"name": "add", "arguments": "{\"a\":2}"}})"));
  EXPECT_EQ(openai_tool_call(call, "call_x", 0)["index"], 0);
  const std::string id = new_tool_call_id();
  EXPECT_EQ(id.size(), 29u);
  EXPECT_TRUE(id.starts_with("call_"));
  EXPECT_NE(id, new_tool_call_id());
}

TEST(ServerTools, StreamPassesTextAndHoldsACall) {
  ToolReplyStream text({});
  EXPECT_EQ(text.feed(""), "");
  EXPECT_EQ(text.feed("Hel"), "Hel");
  EXPECT_EQ(text.feed("lo {"), "lo {");
  EXPECT_TRUE(text.finish().empty());
  EXPECT_EQ(text.unsent_text(), "");

  ToolReplyStream call({});
  for (const char* piece : {"{\"name\"", ": \"add\", \"argu", "ments\": {\"a\": 2}}"}) EXPECT_EQ(call.feed(piece), "");
  ASSERT_EQ(call.finish().size(), 1u);
  EXPECT_EQ(call.finish()[0].name, "add");
  EXPECT_EQ(call.finish()[0].arguments, ojson::parse(R"({"a": 2})"));

  const ToolCallSyntax markers{"<tool_call>\n", "\n</tool_call>"};
  ToolReplyStream marked(markers);
  EXPECT_EQ(marked.feed("<tool_"), "");
  EXPECT_EQ(marked.feed("call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>"), "");
  ASSERT_EQ(marked.finish().size(), 1u);
  EXPECT_EQ(marked.finish()[0].name, "now");
  // '{' is text for a model whose calls start with '<'.
  ToolReplyStream brace(markers);
  EXPECT_EQ(brace.feed("{x"), "{x");

  // A call cut short (the context ran out) is handed back as text rather than lost.
  ToolReplyStream cut({});
  EXPECT_EQ(cut.feed("{\"name\": \"ad"), "");
  EXPECT_TRUE(cut.finish().empty());
  EXPECT_EQ(cut.unsent_text(), "{\"name\": \"ad");
}

// Whether `text` is a complete reply under `gbnf`.
bool grammar_accepts(const std::string& gbnf, const std::string& text) {
  grammar::Matcher m(grammar::Grammar::parse(gbnf));
  return m.accept(text) && m.is_complete();
}

TEST(ServerTools, ParallelSetupAllowsSeveralCallsOneLineApart) {
  const std::string qwen = "... <tool_call> ...";
  const std::string one = R"(<tool_call>
{"name": "add", "arguments": {"a": 1}}
</tool_call>)";
  const std::string two = one + "\n" + R"(<tool_call>
{"name": "now", "arguments": {}}
</tool_call>)";
  const ToolSetup parallel = tool_setup(kTools, "required", qwen);  // parallel is the default
  EXPECT_TRUE(grammar_accepts(parallel.gbnf, one));
  EXPECT_TRUE(grammar_accepts(parallel.gbnf, two));
  EXPECT_TRUE(grammar_accepts(parallel.gbnf, two + "\n" + one));
  EXPECT_FALSE(grammar_accepts(parallel.gbnf, one + one)) << "calls are one newline apart";
  EXPECT_FALSE(grammar_accepts(parallel.gbnf, one + "\nHello")) << "no text after a call";
  const ToolSetup single = tool_setup(kTools, "required", qwen, /*parallel=*/false);
  EXPECT_TRUE(grammar_accepts(single.gbnf, one));
  EXPECT_FALSE(grammar_accepts(single.gbnf, two));
  // The generic form: bare JSON objects, one per line.
  const ToolSetup generic = tool_setup(kTools, nullptr, "");
  EXPECT_TRUE(grammar_accepts(generic.gbnf, R"({"name": "now", "arguments": {}})" "\n" R"({"name": "add", "arguments": {"a": 2}})"));
  EXPECT_TRUE(grammar_accepts(generic.gbnf, "Plain text, no call"));
}

TEST(ServerTools, SeveralCallsParseInOrderAndAMalformedOneSpoilsAll) {
  const ToolCallSyntax markers{"<tool_call>\n", "\n</tool_call>"};
  const auto calls = parse_tool_calls(
      "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": \"}{\"}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>",
      markers);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].name, "add");
  EXPECT_EQ(calls[0].arguments, ojson::parse(R"({"a": "}{"})"));  // braces inside strings do not count
  EXPECT_EQ(calls[1].name, "now");
  EXPECT_FALSE(parse_tool_call("<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>\n"
                               "<tool_call>\n{\"name\": \"now\", \"arguments\": {}}",
                               markers))
      << "two calls are not one";
  EXPECT_EQ(parse_tool_calls(R"({"name": "now", "arguments": {}}
{"name": "add", "arguments": {"a": 1}})").size(), 2u);
  EXPECT_TRUE(parse_tool_calls(R"({"name": "now", "arguments": {}}
{"name": "add", "argu)").empty());
  EXPECT_TRUE(parse_tool_calls(R"({"name": "now", "arguments": {}} trailing words)").empty());
  EXPECT_TRUE(parse_tool_calls("").empty());
}

TEST(ServerTools, StreamHoldsSeveralCallsAndHandsThemBackTogether) {
  ToolReplyStream s({});
  for (const char* piece : {"{\"name\": \"now\", \"argum", "ents\": {}}\n{\"name\"", ": \"add\", \"arguments\": {\"a\": 3}}"})
    EXPECT_EQ(s.feed(piece), "");
  const auto calls = s.finish();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].arguments, ojson::parse(R"({"a": 3})"));
  EXPECT_EQ(s.unsent_text(), "");
}

}  // namespace
}  // namespace airlock::server
