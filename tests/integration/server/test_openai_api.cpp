// The OpenAI-compatible API against fixture models: completions match the reference greedy
// continuation, SSE streams end in [DONE] (with usage when asked), embeddings in float and base64,
// model listing, and OpenAI's error format.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "server_harness.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

class OpenAiApi : public FixtureServerTest<OpenAiApi> {
};

TEST_F(OpenAiApi, CompletionMatchesReferenceGreedy) {
  const GreedyCase g = greedy_case("llama-spm-q8_0", 0);
  auto r = post_json(*client_, "/v1/completions",
                     {{"model", "llama"}, {"prompt", g.prompt}, {"temperature", 0}, {"max_tokens", g.greedy.size()}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["object"], "text_completion");
  EXPECT_EQ(r.body["choices"][0]["text"], g.text);
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r.body["usage"]["completion_tokens"], g.greedy.size());
  EXPECT_EQ(r.body["usage"]["prompt_tokens"], g.prompt_tokens);
  EXPECT_EQ(r.body["usage"]["total_tokens"], g.greedy.size() + g.prompt_tokens);
}

TEST_F(OpenAiApi, CompletionStreamsSse) {
  const GreedyCase g = greedy_case("stories260K", 1);
  auto r = post_stream(*client_, "/v1/completions",
                       {{"model", "stories"}, {"prompt", g.prompt}, {"temperature", 0},
                        {"max_tokens", g.greedy.size()}, {"stream", true}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/event-stream");
  const auto events = sse_payloads(r.body);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) text += json::parse(events[i])["choices"][0]["text"].get<std::string>();
  EXPECT_EQ(text, g.text);
}

TEST_F(OpenAiApi, ChatCompletionWholeAndStreamedWithUsage) {
  const json msgs = json::array({{{"role", "user"}, {"content", {{{"type", "text"}, {"text", "Once upon"}}}}}});
  auto whole = post_json(*client_, "/v1/chat/completions",
                         {{"model", "stories"}, {"messages", msgs}, {"temperature", 0}, {"max_tokens", 10}, {"seed", 7}});
  ASSERT_EQ(whole.status, 200) << whole.raw;
  EXPECT_EQ(whole.body["object"], "chat.completion");
  EXPECT_TRUE(whole.body["id"].get<std::string>().starts_with("chatcmpl-"));
  EXPECT_EQ(whole.body["choices"][0]["message"]["role"], "assistant");
  const std::string content = whole.body["choices"][0]["message"]["content"];

  auto s = post_stream(*client_, "/v1/chat/completions",
                       {{"model", "stories"}, {"messages", msgs}, {"temperature", 0}, {"max_tokens", 10},
                        {"stream", true}, {"stream_options", {{"include_usage", true}}}});
  ASSERT_EQ(s.status, 200);
  const auto events = sse_payloads(s.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  const json usage_chunk = json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"]["completion_tokens"], whole.body["usage"]["completion_tokens"]);
  const json finish = json::parse(events[events.size() - 3]);
  EXPECT_FALSE(finish["choices"][0]["finish_reason"].is_null());
  std::string text;
  for (size_t i = 0; i + 3 < events.size(); ++i) {
    const json c = json::parse(events[i]);
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    text += c["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(text, content);
}

TEST_F(OpenAiApi, ResponseFormatJsonSchema) {
  const json rf = {{"type", "json_schema"},
                   {"json_schema", {{"name", "pick"},
                                    {"schema", {{"type", "object"},
                                                {"properties", {{"color", {{"enum", {"red", "green"}}}}}},
                                                {"required", {"color"}}}}}}};
  auto r = post_json(*client_, "/v1/chat/completions",
                     {{"model", "stories"}, {"messages", {{{"role", "user"}, {"content", "Pick a color"}}}},
                      {"response_format", rf}, {"max_tokens", 60}, {"seed", 2}});
  ASSERT_EQ(r.status, 200) << r.raw;
  const json out = json::parse(r.body["choices"][0]["message"]["content"].get<std::string>(), nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.raw;
  EXPECT_TRUE(out["color"] == "red" || out["color"] == "green") << out;
}

TEST_F(OpenAiApi, StopSequences) {
  const GreedyCase g = greedy_case("stories260K", 0);
  const std::string stop = g.text.substr(8, 5);
  auto r = post_json(*client_, "/v1/completions",
                     {{"model", "stories"}, {"prompt", g.prompt}, {"temperature", 0}, {"stop", stop}, {"max_tokens", 64}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["choices"][0]["text"], g.text.substr(0, g.text.find(stop)));
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "stop");
}

TEST_F(OpenAiApi, EmbeddingsFloatAndBase64Agree) {
  auto f = post_json(*client_, "/v1/embeddings", {{"model", "bge"}, {"input", {"Hello world", "second"}}});
  ASSERT_EQ(f.status, 200) << f.raw;
  ASSERT_EQ(f.body["data"].size(), 2u);
  EXPECT_EQ(f.body["data"][1]["index"], 1);
  const auto v = f.body["data"][0]["embedding"].get<std::vector<float>>();
  double norm = 0;
  for (float x : v) norm += double(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-4);
  auto b = post_json(*client_, "/v1/embeddings",
                     {{"model", "bge"}, {"input", "Hello world"}, {"encoding_format", "base64"}});
  ASSERT_EQ(b.status, 200);
  // Decode base64 independently of the server's encoder.
  const std::string s = b.body["data"][0]["embedding"];
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : s) {
    if (ch == '=') break;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    acc = (acc << 6) | static_cast<uint32_t>(std::strchr(alphabet, ch) - alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  ASSERT_EQ(bytes.size(), v.size() * 4);
  std::vector<float> decoded(v.size());
  std::memcpy(decoded.data(), bytes.data(), bytes.size());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(decoded[i], v[i], 1e-6);
}

TEST_F(OpenAiApi, ModelsListAndLookup) {
  auto list = get_json(*client_, "/v1/models");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body["object"], "list");
  EXPECT_EQ(list.body["data"].size(), 4u);
  auto one = get_json(*client_, "/v1/models/llama:latest");
  ASSERT_EQ(one.status, 200) << one.raw;
  EXPECT_EQ(one.body["id"], "llama:latest");
  EXPECT_EQ(one.body["object"], "model");
  auto none = get_json(*client_, "/v1/models/nope");
  EXPECT_EQ(none.status, 404);
  EXPECT_TRUE(none.body["error"]["message"].is_string());
}

TEST_F(OpenAiApi, ErrorsInOpenAiFormat) {
  auto unknown = post_json(*client_, "/v1/chat/completions",
                           {{"model", "nope"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"]["message"], "model 'nope:latest' not found");
  EXPECT_EQ(unknown.body["error"]["type"], "not_found_error");
  auto no_messages = post_json(*client_, "/v1/chat/completions", {{"model", "stories"}});
  EXPECT_EQ(no_messages.status, 400);
  EXPECT_EQ(no_messages.body["error"]["type"], "invalid_request_error");
  auto fmt = post_json(*client_, "/v1/chat/completions",
                       {{"model", "stories"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                        {"response_format", {{"type", "yaml"}}}});
  EXPECT_EQ(fmt.status, 400);
  EXPECT_NE(fmt.body["error"]["message"].get<std::string>().find("response_format"), std::string::npos);
  auto bad_max = post_json(*client_, "/v1/completions", {{"model", "stories"}, {"prompt", "x"}, {"max_tokens", "many"}});
  EXPECT_EQ(bad_max.status, 400);
  EXPECT_NE(bad_max.body["error"]["message"].get<std::string>().find("max_tokens"), std::string::npos);
  auto n2 = post_json(*client_, "/v1/completions", {{"model", "stories"}, {"prompt", "x"}, {"n", 2}});
  EXPECT_EQ(n2.status, 400);
}

// Fields that would change the output are refused, naming the field; their neutral values pass.
TEST_F(OpenAiApi, FieldsThatWouldChangeTheOutputAnswer400) {
  const json msgs = json::array({{{"role", "user"}, {"content", "hi"}}});
  struct Case {
    const char* path;
    json extra;
    const char* field;
  } cases[] = {{"/v1/chat/completions", {{"messages", msgs}, {"logit_bias", {{"50256", -100}}}}, "logit_bias"},
               {"/v1/completions", {{"prompt", "hi"}, {"echo", true}}, "echo"},
               {"/v1/completions", {{"prompt", "hi"}, {"best_of", 3}}, "best_of"}};
  for (const auto& c : cases) {
    json body = {{"model", "stories"}, {"max_tokens", 2}};
    body.update(c.extra);
    auto r = post_json(*client_, c.path, body);
    EXPECT_EQ(r.status, 400) << body << r.raw;
    EXPECT_NE(r.raw.find(c.field), std::string::npos) << r.raw;
  }
  auto neutral = post_json(*client_, "/v1/completions", {{"model", "stories"}, {"prompt", "hi"}, {"max_tokens", 2},
                                                         {"echo", false}, {"best_of", 1}, {"logit_bias", json::object()},
                                                         {"parallel_tool_calls", true}, {"user", "u1"}});
  EXPECT_EQ(neutral.status, 200) << neutral.raw;
}

}  // namespace
}  // namespace airlock::server::testing
