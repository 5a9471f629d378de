// The Anthropic-style /v1/messages and /v1/messages/count_tokens over raw HTTP, on a real server
// over the fixture models (random weights: the text is noise, so what is checked is the shape,
// the event sequence, stop sequences against the model's own greedy text, tool calls against
// their schema by hand, and errors in Anthropic's shape).
#include <gtest/gtest.h>

#include <set>

#include "server_harness.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

const json kTools = json::parse(R"([
  {"name": "add", "description": "Adds two integers",
   "input_schema": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a", "b"], "additionalProperties": false}},
  {"name": "now", "description": "The current time", "input_schema": {"type": "object", "properties": {}}}])");

// "" when a tool_use block is a valid call of kTools, else what is wrong.
std::string tool_use_problem(const json& block) {
  if (block["type"] != "tool_use") return "not a tool_use block: " + block.dump();
  if (!block["id"].is_string() || !block["id"].get<std::string>().starts_with("toolu_")) return "id: " + block.dump();
  const json& input = block["input"];
  if (!input.is_object()) return "input is not an object: " + block.dump();
  if (block["name"] == "add")
    return input.size() == 2 && input["a"].is_number_integer() && input["b"].is_number_integer() ? "" : "add: " + input.dump();
  if (block["name"] == "now") return input.empty() ? "" : "now: " + input.dump();
  return "unknown tool: " + block.dump();
}

// An SSE body as (event name, data) pairs.
std::vector<std::pair<std::string, json>> events_of(const std::string& body) {
  std::vector<std::pair<std::string, json>> out;
  size_t at = 0;
  while ((at = body.find("event: ", at)) != std::string::npos) {
    const size_t eol = body.find('\n', at);
    const std::string name = body.substr(at + 7, eol - at - 7);
    const size_t data = body.find("data: ", eol);
    const size_t end = body.find('\n', data);
    out.emplace_back(name, json::parse(body.substr(data + 6, end - data - 6)));
    at = end;
  }
  return out;
}

class AnthropicApi : public FixtureServerTest<AnthropicApi> {
 protected:
  json request(const json& extra) {
    json body = {{"model", "llama"}, {"max_tokens", 24}, {"temperature", 0},
                 {"messages", {{{"role", "user"}, {"content", "Tell me a story."}}}}};
    body.update(extra);
    return body;
  }
  JsonReply error_of(const json& body) {
    auto r = post_json(*client_, "/v1/messages", body);
    EXPECT_EQ(r.body["type"], "error") << r.raw;
    EXPECT_TRUE(r.body["error"]["type"].is_string() && r.body["error"]["message"].is_string()) << r.raw;
    return r;
  }
};

TEST_F(AnthropicApi, ReplyHasTheMessageShapeAndCountTokensAgrees) {
  const json body = request({{"system", "You are brief."}});
  auto r = post_json(*client_, "/v1/messages", body);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_TRUE(r.body["id"].get<std::string>().starts_with("msg_"));
  EXPECT_EQ(r.body["type"], "message");
  EXPECT_EQ(r.body["role"], "assistant");
  EXPECT_EQ(r.body["model"], "llama");
  ASSERT_EQ(r.body["content"].size(), 1u) << r.raw;
  EXPECT_EQ(r.body["content"][0]["type"], "text");
  EXPECT_FALSE(r.body["content"][0]["text"].get<std::string>().empty());
  const std::string reason = r.body["stop_reason"];
  EXPECT_TRUE(reason == "end_turn" || reason == "max_tokens") << reason;
  EXPECT_LE(r.body["usage"]["output_tokens"].get<int>(), 24);
  auto counted = post_json(*client_, "/v1/messages/count_tokens",
                           {{"model", "llama"}, {"system", "You are brief."}, {"messages", body["messages"]}});
  ASSERT_EQ(counted.status, 200) << counted.raw;
  EXPECT_EQ(counted.body["input_tokens"], r.body["usage"]["input_tokens"]);
  // System text blocks are the same system prompt; a longer system prompt counts more.
  auto blocks = post_json(*client_, "/v1/messages/count_tokens",
                          {{"model", "llama"}, {"system", {{{"type", "text"}, {"text", "You are brief."}}}},
                           {"messages", body["messages"]}});
  EXPECT_EQ(blocks.body["input_tokens"], counted.body["input_tokens"]);
  auto longer = post_json(*client_, "/v1/messages/count_tokens",
                          {{"model", "llama"}, {"system", "You are brief, kind and exact."}, {"messages", body["messages"]}});
  EXPECT_GT(longer.body["input_tokens"].get<int>(), counted.body["input_tokens"].get<int>());
}

TEST_F(AnthropicApi, StreamSendsTheEventSequenceWithTheSameText) {
  const json body = request(json::object());
  auto whole = post_json(*client_, "/v1/messages", body);
  ASSERT_EQ(whole.status, 200) << whole.raw;
  json sbody = body;
  sbody["stream"] = true;
  auto s = post_stream(*client_, "/v1/messages", sbody);
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.content_type.rfind("text/event-stream", 0), 0u);
  const auto events = events_of(s.body);
  ASSERT_GE(events.size(), 6u) << s.body;
  std::vector<std::string> names;
  std::string text;
  for (const auto& [name, data] : events) {
    EXPECT_EQ(data["type"], name);
    if (names.empty() || names.back() != name) names.push_back(name);
    if (name == "content_block_delta") {
      EXPECT_EQ(data["index"], 0);
      EXPECT_EQ(data["delta"]["type"], "text_delta");
      text += data["delta"]["text"].get<std::string>();
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"message_start", "content_block_start", "content_block_delta",
                                             "content_block_stop", "message_delta", "message_stop"}));
  EXPECT_EQ(text, whole.body["content"][0]["text"]);
  const json& start = events.front().second["message"];
  EXPECT_EQ(start["usage"]["input_tokens"], whole.body["usage"]["input_tokens"]);
  EXPECT_TRUE(start["content"].empty());
  const json& delta = events[events.size() - 2].second;
  EXPECT_EQ(delta["delta"]["stop_reason"], whole.body["stop_reason"]);
  EXPECT_EQ(delta["usage"]["output_tokens"], whole.body["usage"]["output_tokens"]);
}

TEST_F(AnthropicApi, StopSequencesEndTheTextAndAreNamed) {
  auto whole = post_json(*client_, "/v1/messages", request({{"max_tokens", 40}}));
  ASSERT_EQ(whole.status, 200) << whole.raw;
  const std::string text = whole.body["content"][0]["text"];
  ASSERT_GT(text.size(), 12u) << text;
  const std::string stop = text.substr(8, 3);  // from the model's own greedy text
  auto cut = post_json(*client_, "/v1/messages", request({{"max_tokens", 40}, {"stop_sequences", {stop}}}));
  ASSERT_EQ(cut.status, 200) << cut.raw;
  EXPECT_EQ(cut.body["stop_reason"], "stop_sequence") << cut.raw;
  EXPECT_EQ(cut.body["stop_sequence"], stop);
  EXPECT_EQ(cut.body["content"][0]["text"], text.substr(0, text.find(stop)));
  EXPECT_EQ(error_of(request({{"stop_sequences", "x"}})).status, 400);
}

TEST_F(AnthropicApi, ToolUseRoundTrip) {
  size_t most = 0;
  std::set<std::string> names;
  for (int attempt = 0; attempt < 4; ++attempt) {
    json body = request({{"tools", kTools}, {"tool_choice", {{"type", "any"}}}, {"temperature", 1}, {"max_tokens", 100}});
    auto r = post_json(*client_, "/v1/messages", body);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["stop_reason"], "tool_use") << r.raw;
    ASSERT_FALSE(r.body["content"].empty());
    for (const auto& block : r.body["content"]) {
      EXPECT_EQ(tool_use_problem(block), "") << r.raw;
      names.insert(block["name"].get<std::string>());
    }
    most = std::max(most, r.body["content"].size());

    body["stream"] = true;
    const auto events = events_of(post_stream(*client_, "/v1/messages", body).body);
    int blocks = 0;
    std::string partial;
    for (const auto& [name, data] : events) {
      if (name == "content_block_start") {
        EXPECT_EQ(data["index"], blocks);
        EXPECT_EQ(data["content_block"]["type"], "tool_use");
        partial.clear();
      } else if (name == "content_block_delta") {
        EXPECT_EQ(data["delta"]["type"], "input_json_delta");
        partial += data["delta"]["partial_json"].get<std::string>();
      } else if (name == "content_block_stop") {
        const json input = json::parse(partial, nullptr, false);
        EXPECT_TRUE(input.is_object()) << partial;
        ++blocks;
      } else if (name == "message_delta") {
        EXPECT_EQ(data["delta"]["stop_reason"], "tool_use");
      }
    }
    EXPECT_GE(blocks, 1);

    body["stream"] = false;
    body["tool_choice"] = {{"type", "any"}, {"disable_parallel_tool_use", true}};
    auto one = post_json(*client_, "/v1/messages", body);
    EXPECT_EQ(one.body["content"].size(), 1u) << one.raw;
    body["tool_choice"] = {{"type", "tool"}, {"name", "now"}};
    for (const auto& block : post_json(*client_, "/v1/messages", body).body["content"]) EXPECT_EQ(block["name"], "now");
  }
  EXPECT_GE(most, 2u) << "no reply held several tool_use blocks";

  // The results go back in: the assistant's tool_use blocks and the user's tool_result blocks
  // reach the template (the prompt grows by them), and the model answers.
  const json call = {{"type", "tool_use"}, {"id", "toolu_01"}, {"name", "add"}, {"input", {{"a", 2}, {"b", 3}}}};
  json turns = {{{"role", "user"}, {"content", "What is 2 + 3?"}},
                {{"role", "assistant"}, {"content", {{{"type", "text"}, {"text", "Let me add."}}, call}}},
                {{"role", "user"}, {"content", {{{"type", "tool_result"}, {"tool_use_id", "toolu_01"}, {"content", "5"}}}}}};
  auto back = post_json(*client_, "/v1/messages", request({{"tools", kTools}, {"messages", turns}}));
  ASSERT_EQ(back.status, 200) << back.raw;
  auto count = [&](const json& messages) {
    return post_json(*client_, "/v1/messages/count_tokens", {{"model", "llama"}, {"tools", kTools}, {"messages", messages}})
        .body["input_tokens"].get<int>();
  };
  EXPECT_GT(count(turns), count(json::array({turns[0]})) + 10);
  // tool_choice none: the reply is text.
  auto none = post_json(*client_, "/v1/messages", request({{"tools", kTools}, {"tool_choice", {{"type", "none"}}}}));
  ASSERT_EQ(none.status, 200) << none.raw;
  EXPECT_EQ(none.body["content"][0]["type"], "text");
}

TEST_F(AnthropicApi, ErrorsComeInAnthropicsShape) {
  auto missing = error_of({{"model", "llama"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["error"]["type"], "invalid_request_error");
  EXPECT_NE(missing.body["error"]["message"].get<std::string>().find("max_tokens"), std::string::npos);
  auto image = error_of(request(
      {{"messages", {{{"role", "user"}, {"content", {{{"type", "image"}, {"source", {{"type", "base64"}}}}}}}}}}));
  EXPECT_EQ(image.status, 400);
  EXPECT_EQ(image.body["error"]["message"], "messages[0].content[0]: image blocks are not supported");
  auto unknown = error_of(request({{"model", "no-such-model"}}));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"]["type"], "not_found_error");
  auto server_tool = error_of(request({{"tools", {{{"type", "web_search_20250305"}, {"name", "web_search"}}}}}));
  EXPECT_EQ(server_tool.status, 400);
  EXPECT_NE(server_tool.body["error"]["message"].get<std::string>().find("tools[0].type"), std::string::npos);
  EXPECT_EQ(error_of(request({{"thinking", {{"type", "enabled"}, {"budget_tokens", 1024}}}})).status, 400);
  EXPECT_EQ(error_of(request({{"tool_choice", {{"type", "any"}}}})).status, 400);  // no tools
  EXPECT_EQ(error_of(request({{"messages", {{{"role", "system"}, {"content", "hi"}}}}})).status, 400);
  EXPECT_EQ(error_of(request({{"temperature", "hot"}})).status, 400);
  httplib::Client& c = *client_;
  auto bad = c.Post("/v1/messages", "{not json", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["type"], "error");
  auto route = c.Post("/v1/messages/nothing", "{}", "application/json");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->status, 404);
  EXPECT_EQ(json::parse(route->body)["error"]["type"], "not_found_error");
}

// The official clients send the key as x-api-key; without one the 401 is in Anthropic's shape.
TEST(AnthropicApiKeys, KeyInXApiKeyAndA401InAnthropicsShape) {
  TempDir dir;
  RunningServer server(dir.path(), [](ServerConfig& c) { c.api_keys = {"s3cret-key-for-tests"}; });
  auto c = server.client();
  const std::string body = R"({"model": "none", "messages": [{"role": "user", "content": "hi"}]})";
  auto refused = c->Post("/v1/messages/count_tokens", body, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  const json error = json::parse(refused->body);
  EXPECT_EQ(error["type"], "error");
  EXPECT_EQ(error["error"]["type"], "authentication_error");
  auto let_in = c->Post("/v1/messages/count_tokens", {{"x-api-key", "s3cret-key-for-tests"}}, body, "application/json");
  ASSERT_TRUE(let_in);
  EXPECT_EQ(let_in->status, 404) << let_in->body;  // past the key check: the model does not exist
  EXPECT_EQ(json::parse(let_in->body)["error"]["type"], "not_found_error");
}

}  // namespace
}  // namespace airlock::server::testing
