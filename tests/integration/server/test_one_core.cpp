// One generation core: the server, the CLI (`airlock run`) and the library (Session::generate and
// Model::submit) generate through the same engine, so for the same model, prompt, seed and
// options they produce the same text, constrained and tool-call outputs included.
#include <gtest/gtest.h>

#include <airlock/airlock.h>
#include <airlock/tools.h>

#include <fstream>

#include "server/tools.h"
#include "server_harness.h"
#include "support/cli_runner.h"
#include "template/chat_template.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

const char* kPrompt = "Once upon a time, a little fox";
constexpr uint64_t kSeed = 42;
constexpr int kPredict = 40;

class OneCore : public FixtureServerTest<OneCore> {
 protected:
  static std::filesystem::path stories() { return fixtures::dir() / "models" / "stories260K.gguf"; }
  static GenerateOptions options() {
    GenerateOptions o;
    o.sampling.seed = kSeed;
    o.sampling.has_seed = true;
    o.sampling.temperature = 0.8f;
    o.num_predict = kPredict;
    return o;
  }
  // The same request through the library twice: one Session, and submit() beside another request.
  static std::pair<GenerateResult, GenerateResult> library(const GenerateOptions& o, const std::string& rendered) {
    auto model = Model::load(stories(), {.n_ctx = 512, .n_threads = 1});
    const auto tokens = model->tokenize_prompt(rendered);
    const GenerateResult alone = model->new_session()->generate(tokens, o, nullptr);
    GenerateOptions other = o;
    other.sampling.seed = kSeed + 1;
    auto neighbour = model->submit(tokens, other);  // batched beside it: must not change it
    const GenerateResult batched = model->submit(tokens, o)->wait();
    neighbour->wait();
    return {alone, batched};
  }
  static std::string cli(const std::string& extra) {
    const auto r = cli_runner::run(std::string(AIRLOCK_BINARY) + " run " + cli_runner::quote(stories().string()) + " " +
                                       cli_runner::quote(kPrompt) + " --seed 42 --temperature 0.8 -n 40 --ctx 512 " +
                                       // `run` turns the repeat penalty off unless asked (as llama.cpp's CLI); the API's default is 1.1
                                       "--repeat-penalty 1.1 " + extra,
                                   false);
    EXPECT_EQ(r.status, 0) << r.out;
    return r.out.ends_with("\n") ? r.out.substr(0, r.out.size() - 1) : r.out;  // run ends with a newline
  }
};

TEST_F(OneCore, PlainTextIsTheSameEverywhere) {
  const auto server = post_json(*client_, "/api/generate",
                                {{"model", "stories"}, {"prompt", kPrompt}, {"raw", true}, {"stream", false},
                                 {"options", {{"seed", kSeed}, {"temperature", 0.8}, {"num_predict", kPredict}}}});
  ASSERT_EQ(server.status, 200) << server.raw;
  const std::string text = server.body["response"];
  ASSERT_FALSE(text.empty());
  const auto [alone, batched] = library(options(), kPrompt);
  EXPECT_EQ(alone.text, text);
  EXPECT_EQ(batched.text, text);
  EXPECT_EQ(alone.done_reason, server.body["done_reason"]);
  EXPECT_EQ(batched.done_reason, server.body["done_reason"]);
  EXPECT_EQ(cli(""), text);
}

TEST_F(OneCore, ConstrainedOutputIsTheSameEverywhere) {
  const json schema = {{"type", "object"},
                       {"properties", {{"name", {{"type", "string"}}}, {"age", {{"type", "integer"}}}}},
                       {"required", {"name", "age"}}};
  const auto server = post_json(*client_, "/api/generate",
                                {{"model", "stories"}, {"prompt", kPrompt}, {"raw", true}, {"stream", false}, {"format", schema},
                                 {"options", {{"seed", kSeed}, {"temperature", 0.8}, {"num_predict", kPredict}}}});
  ASSERT_EQ(server.status, 200) << server.raw;
  const std::string text = server.body["response"];
  GenerateOptions o = options();
  o.format = schema.dump();
  const auto [alone, batched] = library(o, kPrompt);
  EXPECT_EQ(alone.text, text);
  EXPECT_EQ(batched.text, text);
  EXPECT_EQ(alone.done_reason, server.body["done_reason"]);  // "length" when the budget cut it
  const std::filesystem::path schema_file = dir_->path() / "schema.json";
  std::ofstream(schema_file) << schema.dump();
  EXPECT_EQ(cli("--schema " + cli_runner::quote(schema_file.string())), text);
}

TEST_F(OneCore, ToolCallsAreTheSameFromServerAndLibrary) {
  const json tools = json::array({{{"type", "function"},
                                   {"function", {{"name", "get_weather"},
                                                 {"parameters", {{"type", "object"},
                                                                 {"properties", {{"city", {{"type", "string"}}}}},
                                                                 {"required", {"city"}}}}}}}});
  const json messages = json::array({{{"role", "user"}, {"content", "Weather in Oslo?"}}});
  // tool_choice "required" (OpenAI's route): a call, never plain text.
  const auto server = post_json(*client_, "/v1/chat/completions",
                                {{"model", "stories"}, {"messages", messages}, {"tools", tools}, {"tool_choice", "required"},
                                 {"seed", kSeed}, {"temperature", 0.8}, {"max_tokens", 60}});
  ASSERT_EQ(server.status, 200) << server.raw;
  const json& message = server.body["choices"][0]["message"];
  ASSERT_TRUE(message.contains("tool_calls")) << server.raw;
  json call = message["tool_calls"][0]["function"];
  call["arguments"] = json::parse(call["arguments"].get<std::string>());

  auto model = Model::load(stories(), {.n_ctx = 512, .n_threads = 1});
  const ToolCallSyntax syntax = tool_call_syntax(tmpl::kChatMLTemplate);  // stories has no template
  GenerateOptions o = options();
  o.num_predict = 60;
  o.sampling.repeat_penalty = 1.0f;  // OpenAI's API has none: the server turns it off on that route
  o.grammar = tool_call_grammar(tools.dump(), syntax, /*allow_text=*/false);
  const auto tokens = model->tokenize_prompt(model->render_chat_json(messages.dump(), tools.dump()));
  const auto r = model->submit(tokens, o)->wait();
  const auto parsed = parse_tool_call(r.text, syntax);
  ASSERT_TRUE(parsed) << r.text;
  EXPECT_EQ(parsed->name, call["name"]);
  EXPECT_EQ(json::parse(parsed->arguments.dump()), call["arguments"]);
}

TEST_F(OneCore, SubmitStreamsTokensWithLogprobsAndCancels) {
  auto model = Model::load(stories(), {.n_ctx = 512, .n_threads = 1});
  GenerateOptions o = options();
  o.logprobs = true;
  std::vector<TokenInfo> seen;
  std::string streamed;
  const auto r = model->submit(model->tokenize_prompt(kPrompt), o,
                               {.on_text = [&](std::string_view t) { streamed += t; return true; },
                                .on_token = [&](const TokenInfo& t) { seen.push_back(t); }})
                     ->wait();
  EXPECT_EQ(streamed, r.text);
  ASSERT_EQ(seen.size(), r.tokens.size());
  std::string bytes;
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].id, r.tokens[i]);
    EXPECT_LE(seen[i].logprob, 0.0f);
    EXPECT_GT(seen[i].logprob, -100.0f);
    bytes += seen[i].bytes;
  }
  EXPECT_FALSE(bytes.empty());
  // A callback returning false cancels.
  int pieces = 0;
  const auto c = model->submit(model->tokenize_prompt(kPrompt), options(),
                               {.on_text = [&](std::string_view) { return ++pieces < 3; }, .on_token = {}})
                     ->wait();
  EXPECT_EQ(c.done_reason, "cancel");
  EXPECT_LT(c.generated_tokens, kPredict);
}

}  // namespace
}  // namespace airlock::server::testing
