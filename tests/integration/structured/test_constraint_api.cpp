// The constraint hooks of the public API on real fixture models: format "json", GBNF grammars,
// budgets, the errors a server maps to HTTP 400, the per-model cache, and tool calls.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <airlock/airlock.h>
#include <airlock/tools.h>

#include <functional>
#include <regex>
#include <set>

#include "engine/constraint.h"
#include "support/error_of.h"
#include "support/fixtures.h"
#include "unit/grammar/schema_validator.h"

namespace airlock {
namespace {

using ::testing::AllOf;
using airlock::testing::error_of;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::shared_ptr<Model> load(const char* file) {
  return Model::load(fixtures::dir() / "models" / file, {.n_ctx = 256, .n_threads = 1});
}

GenerateOptions hot(uint64_t seed, int64_t num_predict) {
  GenerateOptions o;
  o.sampling.temperature = 1.0f;
  o.sampling.seed = seed;
  o.sampling.has_seed = true;
  o.num_predict = num_predict;
  return o;
}

TEST(ConstraintApi, UnconstrainedOutputOfTheFixtureIsNotJson) {
  AIRLOCK_REQUIRE_FIXTURES();
  // The premise of every other test here: without the constraint the model writes garbage.
  auto model = load("qwen2-gpt2-q8_0.gguf");
  auto r = model->new_session()->generate("{", hot(7, 30), nullptr);
  EXPECT_TRUE(nlohmann::json::parse(r.text, nullptr, false).is_discarded()) << r.text;
}

TEST(ConstraintApi, JsonModeGivesAnObject) {
  AIRLOCK_REQUIRE_FIXTURES();
  for (const char* file : {"qwen2-gpt2-q8_0.gguf", "llama-spm-q8_0.gguf"}) {
    auto model = load(file);
    auto session = model->new_session();
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      auto o = hot(seed, 8 + static_cast<int64_t>(seed) * 4);
      o.format = "json";
      auto r = session->generate("Answer in JSON", o, nullptr);
      auto v = nlohmann::json::parse(r.text, nullptr, false);
      EXPECT_TRUE(v.is_object()) << file << " seed " << seed << ": " << r.text;
    }
  }
}

TEST(ConstraintApi, GbnfGrammarIsFollowedAndStopsWhenDone) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto model = load("llama-spm-q8_0.gguf");
  auto session = model->new_session();
  const std::regex shape("(yes|no), [0-9]{1,3}!");
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    auto o = hot(seed, 40);
    o.grammar = "root ::= (\"yes\" | \"no\") \", \" [0-9] [0-9]? [0-9]? \"!\"\n";
    auto r = session->generate("Is it?", o, nullptr);
    EXPECT_TRUE(std::regex_match(r.text, shape)) << r.text;
    EXPECT_EQ(r.done_reason, "stop") << r.text;  // "!" ends the grammar long before 40 tokens
  }
}

TEST(ConstraintApi, TightBudgetStillGivesCompleteOutputWithLength) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto model = load("qwen2-gpt2-q8_0.gguf");
  auto session = model->new_session();
  // The shortest output is {"a":[]} (8 bytes): a budget of exactly 8 tokens must still finish it.
  const std::string schema = R"({"type":"object","properties":{"a":{"type":"array","items":{"type":"string"}}},"required":["a"]})";
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    auto o = hot(seed, 8);
    o.format = schema;
    auto r = session->generate("x", o, nullptr);
    auto v = nlohmann::json::parse(r.text, nullptr, false);
    ASSERT_FALSE(v.is_discarded()) << r.text;
    EXPECT_EQ(grammar::testing::validate(nlohmann::json::parse(schema), v), "") << r.text;
    EXPECT_EQ(r.done_reason, "length") << r.text;
  }
}

TEST(ConstraintApi, BadConstraintsAreClearErrors) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto model = load("qwen2-gpt2-q8_0.gguf");
  EXPECT_THAT(error_of([&] { model->compile_constraint("root ::= \"a\" missing\n", ""); }),
              AllOf(StartsWith("grammar: "), HasSubstr("missing")));
  EXPECT_THAT(error_of([&] { model->compile_constraint("", R"({"type":"object","not":{}})"); }),
              AllOf(StartsWith("format: "), HasSubstr("'not'")));
  EXPECT_THAT(error_of([&] { model->compile_constraint("", "yaml"); }), StartsWith("format: expected \"json\""));
  EXPECT_THAT(error_of([&] { model->compile_constraint("root ::= \"a\"", "json"); }), HasSubstr("exclusive"));
  EXPECT_EQ(error_of([&] { model->compile_constraint("", ""); }), "");
  EXPECT_EQ(error_of([&] { model->compile_constraint("", "\"json\""); }), "");
  // The same error from generate(), before anything is evaluated.
  auto o = hot(1, 10);
  o.format = R"({"type":"string","format":"hostname"})";
  EXPECT_THAT(error_of([&] { model->new_session()->generate("x", o, nullptr); }), HasSubstr("hostname"));
}

TEST(ConstraintCache, KeepsTheMostRecentlyUsedGrammars) {
  int trie_builds = 0;
  engine::ConstraintCache cache(
      [&] {
        ++trie_builds;
        return engine::VocabPieces{{"a", "b", "ab", "</s>"}, {3}, {}};
      },
      2);
  auto first = cache.compile("root ::= \"a\"", "");
  EXPECT_EQ(cache.compile("root ::= \"a\"", "").automaton, first.automaton);  // a hit shares it
  cache.compile("root ::= \"b\"", "");
  cache.compile("root ::= \"a\"", "");     // "a" is now the most recent
  cache.compile("root ::= \"ab\"", "");    // evicts "b"
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.compile("root ::= \"a\"", "").automaton, first.automaton);
  EXPECT_EQ(trie_builds, 0);  // compiling needs no vocabulary
  auto c = cache.start("root ::= \"a\" \"b\"", "");
  cache.start("root ::= \"a\"", "");
  EXPECT_EQ(trie_builds, 1);
  EXPECT_EQ(c->allowed(), (std::vector<int32_t>{0, 2}));  // "a" and "ab"; not "b", not the end yet
}

const char* kTools = R"([
  {"type":"function","function":{"name":"get_weather","description":"Weather for a city",
    "parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":12},
      "unit":{"enum":["celsius","fahrenheit"]}},"required":["city","unit"]}}},
  {"type":"function","function":{"name":"file_ticket",
    "parameters":{"$defs":{"tag":{"type":"string","pattern":"^[a-z]{2,6}$"}},"type":"object",
      "properties":{"severity":{"type":"integer","minimum":1,"maximum":4},"tags":{"type":"array","items":{"$ref":"#/$defs/tag"},"maxItems":2}},
      "required":["severity","tags"]}}}])";

// Each tool's parameters, with its own $defs, for the validator.
nlohmann::json parameters_of(const std::string& name) {
  for (const auto& t : nlohmann::json::parse(kTools))
    if (t["function"]["name"] == name) return t["function"]["parameters"];
  return nullptr;
}

TEST(ToolCalls, RequiredCallIsAValidCallOfOneTool) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto model = load("qwen2-gpt2-q8_0.gguf");
  auto session = model->new_session();
  std::set<std::string> names;
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    auto o = hot(seed, 90);
    o.grammar = tool_call_grammar(kTools, {}, /*allow_text=*/false);
    auto r = session->generate("Call a tool", o, nullptr);
    auto call = parse_tool_call(r.text);
    ASSERT_TRUE(call.has_value()) << r.text;
    const auto params = parameters_of(call->name);
    ASSERT_FALSE(params.is_null()) << call->name;
    EXPECT_EQ(grammar::testing::validate(params, nlohmann::json::parse(call->arguments.dump())), "") << r.text;
    names.insert(call->name);
  }
  EXPECT_EQ(names.size(), 2u);  // both tools are reachable
}

TEST(ToolCalls, TextOrCallWithModelSyntax) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto model = load("llama-spm-q8_0.gguf");
  auto session = model->new_session();
  const ToolCallSyntax qwen{"<tool_call>\n", "\n</tool_call>"};
  int calls = 0, texts = 0;
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    auto o = hot(seed, 30);  // a call would not fit: plain text is what is left
    o.grammar = tool_call_grammar(kTools, qwen);
    auto r = session->generate("Maybe call a tool", o, nullptr);
    if (r.text.starts_with("<tool_call>")) {  // cannot happen in 30 tokens; kept as a check
      auto call = parse_tool_call(r.text, qwen);
      ASSERT_TRUE(call.has_value()) << r.text;
      EXPECT_EQ(grammar::testing::validate(parameters_of(call->name), nlohmann::json::parse(call->arguments.dump())), "");
      ++calls;
    } else {
      EXPECT_FALSE(parse_tool_call(r.text, qwen).has_value()) << r.text;
      ASSERT_FALSE(r.text.empty());
      EXPECT_NE(r.text[0], '<');
      ++texts;
    }
  }
  EXPECT_EQ(texts, 24);
  EXPECT_EQ(calls, 0);
  // Required: the call comes wrapped in the markers and parses back.
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    auto o = hot(seed, 120);
    o.grammar = tool_call_grammar(kTools, qwen, /*allow_text=*/false);
    auto r = session->generate("Call a tool", o, nullptr);
    EXPECT_TRUE(r.text.starts_with("<tool_call>\n") && r.text.ends_with("\n</tool_call>")) << r.text;
    auto call = parse_tool_call(r.text, qwen);
    ASSERT_TRUE(call.has_value()) << r.text;
    EXPECT_EQ(grammar::testing::validate(parameters_of(call->name), nlohmann::json::parse(call->arguments.dump())), "");
  }
}

TEST(ToolCalls, ParserAndErrors) {
  auto call = parse_tool_call(" {\"name\": \"f\", \"arguments\": {\"x\": [1]}}\n");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->name, "f");
  EXPECT_EQ(call->arguments.dump(), R"({"x":[1]})");
  EXPECT_FALSE(parse_tool_call("Hello there").has_value());
  EXPECT_FALSE(parse_tool_call(R"({"name": "f"})").has_value());
  EXPECT_FALSE(parse_tool_call(R"({"name": "f", "arguments": 3})").has_value());
  EXPECT_THAT(error_of([] { tool_call_grammar("{}"); }), StartsWith("tools: "));
  EXPECT_THAT(error_of([] { tool_call_grammar(R"([{"type":"function","function":{}}])"); }),
              StartsWith("tools[0].function.name"));
  EXPECT_THAT(error_of([] {
                tool_call_grammar(R"([{"type":"function","function":{"name":"f","parameters":{"type":"object","patternProperties":{}}}}])");
              }),
              AllOf(StartsWith("tools[0].function.parameters: "), HasSubstr("patternProperties")));
}

}  // namespace
}  // namespace airlock
