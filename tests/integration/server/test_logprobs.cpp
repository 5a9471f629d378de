// Log-probabilities on /api/generate, /api/chat, /v1/chat/completions and /v1/completions. The
// fixtures' weights are random, so no number is known in advance; what must hold: one entry per
// generated token whose texts add up to the output, the greedy choice is the most likely
// alternative, alternatives come most likely first and their probabilities sum to at most 1, the
// distribution is the one before temperature (the same alternatives at any temperature), streamed
// entries add up to the whole answer's, a constrained reply only ever reports allowed tokens, and
// bad values answer 400 naming the field.
#include <gtest/gtest.h>

#include <cmath>

#include "server_harness.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

class Logprobs : public FixtureServerTest<Logprobs> {};

json bytes_of(const std::string& s) {
  json out = json::array();
  for (unsigned char c : s) out.push_back(c);
  return out;
}

// The checks every native or OpenAI-chat entry list passes; returns the tokens' text joined.
std::string check_entries(const json& entries, size_t n_top, bool greedy) {
  std::string text;
  for (const json& e : entries) {
    const std::string token = e["token"];
    text += token;
    EXPECT_EQ(e["bytes"], bytes_of(token)) << e;
    const double lp = e["logprob"];
    EXPECT_LE(lp, 1e-6) << e;
    if (n_top == 0) continue;
    const json& top = e["top_logprobs"];
    EXPECT_EQ(top.size(), n_top) << e;
    double mass = 0;
    for (size_t i = 0; i < top.size(); ++i) {
      mass += std::exp(top[i]["logprob"].get<double>());
      EXPECT_EQ(top[i]["bytes"], bytes_of(top[i]["token"])) << e;
      if (i > 0) {
        EXPECT_GE(top[i - 1]["logprob"].get<double>(), top[i]["logprob"].get<double>()) << e;
      }
    }
    EXPECT_LE(mass, 1.0 + 1e-4) << e;
    if (greedy) {
      EXPECT_EQ(top[0]["token"], token) << e;
      EXPECT_NEAR(top[0]["logprob"].get<double>(), lp, 1e-5) << e;
    }
  }
  return text;
}

TEST_F(Logprobs, NativeGenerateReportsEveryTokenWithItsAlternatives) {
  const GreedyCase g = greedy_case("llama-spm-q8_0", 0);
  const json body = {{"model", "llama"}, {"prompt", g.prompt}, {"raw", true}, {"stream", false}, {"logprobs", true},
                     {"top_logprobs", 3}, {"options", {{"temperature", 0}, {"num_predict", g.greedy.size()}}}};
  auto r = post_json(*client_, "/api/generate", body);
  ASSERT_EQ(r.status, 200) << r.raw;
  const json& lps = r.body["logprobs"];
  ASSERT_EQ(lps.size(), g.greedy.size()) << r.raw;
  EXPECT_EQ(check_entries(lps, 3, true), r.body["response"].get<std::string>());
  EXPECT_EQ(r.body["response"], g.text);

  // Streamed: the lines' entries add up to the whole answer's.
  json streamed_body = body;
  streamed_body["stream"] = true;
  auto s = post_stream(*client_, "/api/generate", streamed_body);
  ASSERT_EQ(s.status, 200);
  json all = json::array();
  for (const json& line : ndjson_lines(s.body))
    if (line.contains("logprobs"))
      for (const json& e : line["logprobs"]) all.push_back(e);
  EXPECT_EQ(all, lps);

  // Without the field there is none.
  json plain = body;
  plain.erase("logprobs");
  plain.erase("top_logprobs");
  auto p = post_json(*client_, "/api/generate", plain);
  EXPECT_FALSE(p.body.contains("logprobs")) << p.raw;
}

TEST_F(Logprobs, TheDistributionIsTheOneBeforeTemperature) {
  auto first_token = [&](double temperature) {
    auto r = post_json(*client_, "/api/generate",
                       {{"model", "stories"}, {"prompt", "Once upon a time"}, {"raw", true}, {"stream", false},
                        {"top_logprobs", 5},
                        {"options", {{"temperature", temperature}, {"seed", 3}, {"num_predict", 1}}}});
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body["logprobs"].at(0)["top_logprobs"];
  };
  const json cold = first_token(0), hot = first_token(1.8);
  ASSERT_EQ(cold.size(), 5u);
  ASSERT_EQ(hot.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(cold[i]["token"], hot[i]["token"]);
    EXPECT_NEAR(cold[i]["logprob"].get<double>(), hot[i]["logprob"].get<double>(), 1e-5);
  }
}

TEST_F(Logprobs, NativeChatWithLogprobsOnly) {
  auto r = post_json(*client_, "/api/chat",
                     {{"model", "qwen"}, {"messages", {{{"role", "user"}, {"content", "Hello"}}}}, {"stream", false},
                      {"logprobs", true}, {"options", {{"temperature", 0.7}, {"seed", 5}, {"num_predict", 8}}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  const json& lps = r.body["logprobs"];
  EXPECT_EQ(lps.size(), r.body["eval_count"].get<size_t>()) << r.raw;
  for (const json& e : lps) EXPECT_FALSE(e.contains("top_logprobs")) << e;
  EXPECT_EQ(check_entries(lps, 0, false), r.body["message"]["content"].get<std::string>());
}

TEST_F(Logprobs, OpenAiChatWholeAndStreamed) {
  const json body = {{"model", "stories"}, {"messages", {{{"role", "user"}, {"content", "Once upon"}}}},
                     {"temperature", 0}, {"max_tokens", 12}, {"logprobs", true}, {"top_logprobs", 2}};
  auto r = post_json(*client_, "/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.raw;
  const json& lp = r.body["choices"][0]["logprobs"];
  EXPECT_TRUE(lp["refusal"].is_null());
  EXPECT_EQ(lp["content"].size(), r.body["usage"]["completion_tokens"].get<size_t>());
  EXPECT_EQ(check_entries(lp["content"], 2, true), r.body["choices"][0]["message"]["content"].get<std::string>());

  json sb = body;
  sb["stream"] = true;
  auto s = post_stream(*client_, "/v1/chat/completions", sb);
  ASSERT_EQ(s.status, 200);
  json all = json::array();
  for (const std::string& e : sse_payloads(s.body)) {
    if (e == "[DONE]") continue;
    const json c = json::parse(e)["choices"][0];
    if (!c["logprobs"].is_null())
      for (const json& t : c["logprobs"]["content"]) all.push_back(t);
  }
  EXPECT_EQ(all, lp["content"]);

  // Not asked for: null, as OpenAI answers.
  auto p = post_json(*client_, "/v1/chat/completions",
                     {{"model", "stories"}, {"messages", body["messages"]}, {"max_tokens", 2}});
  EXPECT_TRUE(p.body["choices"][0]["logprobs"].is_null()) << p.raw;
}

TEST_F(Logprobs, OpenAiCompletionsLegacyShape) {
  const GreedyCase g = greedy_case("stories260K", 1);
  auto r = post_json(*client_, "/v1/completions", {{"model", "stories"}, {"prompt", g.prompt}, {"temperature", 0},
                                                   {"max_tokens", g.greedy.size()}, {"logprobs", 2}});
  ASSERT_EQ(r.status, 200) << r.raw;
  const json& lp = r.body["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), g.greedy.size()) << r.raw;
  std::string text;
  for (size_t i = 0; i < lp["tokens"].size(); ++i) {
    EXPECT_EQ(lp["text_offset"][i], text.size());
    const std::string token = lp["tokens"][i];
    text += token;
    const json& top = lp["top_logprobs"][i];
    EXPECT_EQ(top.size(), 2u);
    ASSERT_TRUE(top.contains(token)) << top;  // greedy: the choice is among the two most likely
    EXPECT_NEAR(top[token].get<double>(), lp["token_logprobs"][i].get<double>(), 1e-5);
  }
  EXPECT_EQ(text, g.text);

  auto s = post_stream(*client_, "/v1/completions", {{"model", "stories"}, {"prompt", g.prompt}, {"temperature", 0},
                                                     {"max_tokens", g.greedy.size()}, {"logprobs", 2}, {"stream", true}});
  json offsets = json::array();
  for (const std::string& e : sse_payloads(s.body)) {
    if (e == "[DONE]") continue;
    const json c = json::parse(e)["choices"][0];
    if (!c["logprobs"].is_null())
      for (const json& o : c["logprobs"]["text_offset"]) offsets.push_back(o);
  }
  EXPECT_EQ(offsets, lp["text_offset"]);
}

TEST_F(Logprobs, AConstrainedToolCallReportsOnlyAllowedTokens) {
  const json tools = json::parse(R"([{"type": "function", "function": {"name": "add", "parameters": {"type": "object",
      "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}}])");
  for (bool stream : {false, true}) {
    json body = {{"model", "llama"}, {"messages", {{{"role", "user"}, {"content", "Add 2 and 3"}}}}, {"tools", tools},
                 {"tool_choice", "required"}, {"temperature", 1}, {"seed", 4}, {"max_tokens", 60},
                 {"logprobs", true}, {"top_logprobs", 20}, {"stream", stream}};
    json content = json::array();
    if (!stream) {
      auto r = post_json(*client_, "/v1/chat/completions", body);
      ASSERT_EQ(r.status, 200) << r.raw;
      EXPECT_EQ(r.body["choices"][0]["finish_reason"], "tool_calls");
      content = r.body["choices"][0]["logprobs"]["content"];
      EXPECT_EQ(content.size(), r.body["usage"]["completion_tokens"].get<size_t>());
    } else {
      auto s = post_stream(*client_, "/v1/chat/completions", body);
      for (const std::string& e : sse_payloads(s.body)) {
        if (e == "[DONE]") continue;
        const json c = json::parse(e)["choices"][0];
        if (!c["logprobs"].is_null())
          for (const json& t : c["logprobs"]["content"]) content.push_back(t);
      }
    }
    ASSERT_FALSE(content.empty());
    // The call's text is JSON: the mask leaves few tokens, so a step often has fewer than 20
    // alternatives, and none is a masked (impossible) one: every logprob is finite.
    bool fewer = false;
    for (const json& e : content) {
      EXPECT_TRUE(e["logprob"].is_number()) << e;
      fewer = fewer || e["top_logprobs"].size() < 20;
      for (const json& t : e["top_logprobs"]) EXPECT_TRUE(t["logprob"].is_number()) << t;
    }
    EXPECT_TRUE(fewer) << "the constraint's mask never showed in the alternatives";
  }
}

TEST_F(Logprobs, BadValuesAnswer400NamingTheField) {
  const json msgs = {{{"role", "user"}, {"content", "hi"}}};
  struct Case {
    const char* path;
    json extra;
    const char* field;
  } cases[] = {
      {"/api/generate", {{"prompt", "hi"}, {"top_logprobs", 21}}, "top_logprobs"},
      {"/api/generate", {{"prompt", "hi"}, {"top_logprobs", "3"}}, "top_logprobs"},
      {"/api/chat", {{"messages", msgs}, {"logprobs", "yes"}}, "logprobs"},
      {"/v1/chat/completions", {{"messages", msgs}, {"top_logprobs", 2}}, "top_logprobs"},
      {"/v1/chat/completions", {{"messages", msgs}, {"logprobs", true}, {"top_logprobs", -1}}, "top_logprobs"},
      {"/v1/completions", {{"prompt", "hi"}, {"logprobs", 40}}, "logprobs"},
      {"/v1/completions", {{"prompt", "hi"}, {"logprobs", true}}, "logprobs"},
  };
  for (const auto& c : cases) {
    json body = {{"model", "stories"}, {"stream", false}};
    body.update(c.extra);
    auto r = post_json(*client_, c.path, body);
    EXPECT_EQ(r.status, 400) << c.path << " " << body << " " << r.raw;
    EXPECT_NE(r.raw.find(c.field), std::string::npos) << r.raw;
  }
}

}  // namespace
}  // namespace airlock::server::testing
