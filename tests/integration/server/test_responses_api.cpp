// OpenAI's /v1/responses over raw HTTP, on a real server over the fixture models (random weights:
// what is checked is the response object, the numbered event sequence against the whole
// response, function_call items against their schema by hand, text.format, and errors).
#include <gtest/gtest.h>

#include "server_harness.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

const json kTools = json::parse(R"([
  {"type": "function", "name": "add", "description": "Adds two integers",
   "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                  "required": ["a", "b"], "additionalProperties": false}},
  {"type": "function", "name": "now", "description": "The current time"}])");

std::string call_problem(const json& item) {
  if (item["type"] != "function_call") return "not a function_call: " + item.dump();
  if (!item["call_id"].get<std::string>().starts_with("call_")) return "call_id: " + item.dump();
  const json args = json::parse(item["arguments"].get<std::string>(), nullptr, false);
  if (item["name"] == "add")
    return args.is_object() && args.size() == 2 && args["a"].is_number_integer() && args["b"].is_number_integer()
               ? "" : "add: " + item.dump();
  if (item["name"] == "now") return args == json::object() ? "" : "now: " + item.dump();
  return "unknown tool: " + item.dump();
}

std::vector<std::pair<std::string, json>> events_of(const std::string& body) {
  std::vector<std::pair<std::string, json>> out;
  size_t at = 0;
  while ((at = body.find("event: ", at)) != std::string::npos) {
    const size_t eol = body.find('\n', at);
    const size_t data = body.find("data: ", eol);
    const size_t end = body.find('\n', data);
    out.emplace_back(body.substr(at + 7, eol - at - 7), json::parse(body.substr(data + 6, end - data - 6)));
    at = end;
  }
  return out;
}

class ResponsesApi : public FixtureServerTest<ResponsesApi> {
 protected:
  json request(const json& extra) {
    json body = {{"model", "llama"}, {"input", "Tell me a story."}, {"max_output_tokens", 16}, {"temperature", 0}};
    body.update(extra);
    return body;
  }
};

TEST_F(ResponsesApi, TextResponseShape) {
  auto r = post_json(*client_, "/v1/responses", request({{"instructions", "Be brief."}}));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_TRUE(r.body["id"].get<std::string>().starts_with("resp_"));
  EXPECT_EQ(r.body["object"], "response");
  EXPECT_EQ(r.body["instructions"], "Be brief.");
  ASSERT_EQ(r.body["output"].size(), 1u) << r.raw;
  const json& item = r.body["output"][0];
  EXPECT_EQ(item["type"], "message");
  EXPECT_EQ(item["role"], "assistant");
  EXPECT_EQ(item["content"][0]["type"], "output_text");
  const int64_t out = r.body["usage"]["output_tokens"];
  EXPECT_LE(out, 16);
  EXPECT_EQ(r.body["usage"]["total_tokens"], r.body["usage"]["input_tokens"].get<int64_t>() + out);
  if (out == 16) {  // cut by max_output_tokens
    EXPECT_EQ(r.body["status"], "incomplete");
    EXPECT_EQ(r.body["incomplete_details"]["reason"], "max_output_tokens");
  } else {
    EXPECT_EQ(r.body["status"], "completed");
  }
  // A message list with a developer message is the same chat as instructions and a string.
  auto listed = post_json(*client_, "/v1/responses",
                          request({{"input", {{{"role", "developer"}, {"content", "Be brief."}},
                                              {{"type", "message"}, {"role", "user"},
                                               {"content", {{{"type", "input_text"}, {"text", "Tell me a story."}}}}}}}}));
  ASSERT_EQ(listed.status, 200) << listed.raw;
  EXPECT_EQ(listed.body["usage"]["input_tokens"], r.body["usage"]["input_tokens"]);
  EXPECT_EQ(listed.body["output"][0]["content"][0]["text"], item["content"][0]["text"]);
}

TEST_F(ResponsesApi, StreamEventsAreNumberedAndAddUpToTheWholeResponse) {
  auto whole = post_json(*client_, "/v1/responses", request(json::object()));
  ASSERT_EQ(whole.status, 200) << whole.raw;
  auto s = post_stream(*client_, "/v1/responses", request({{"stream", true}}));
  ASSERT_EQ(s.status, 200);
  const auto events = events_of(s.body);
  std::vector<std::string> names;
  std::string text;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& [name, data] = events[i];
    EXPECT_EQ(data["type"], name);
    EXPECT_EQ(data["sequence_number"], i);
    if (names.empty() || names.back() != name) names.push_back(name);
    if (name == "response.output_text.delta") text += data["delta"].get<std::string>();
  }
  const std::string last = whole.body["status"] == "completed" ? "response.completed" : "response.incomplete";
  EXPECT_EQ(names, (std::vector<std::string>{"response.created", "response.in_progress", "response.output_item.added",
                                             "response.content_part.added", "response.output_text.delta",
                                             "response.output_text.done", "response.content_part.done",
                                             "response.output_item.done", last}));
  const std::string expected = whole.body["output"][0]["content"][0]["text"];
  EXPECT_EQ(text, expected);
  const json& final = events.back().second["response"];
  EXPECT_EQ(final["output"][0]["content"][0]["text"], expected);
  EXPECT_EQ(final["usage"]["output_tokens"], whole.body["usage"]["output_tokens"]);
  EXPECT_EQ(events.front().second["response"]["status"], "in_progress");
}

TEST_F(ResponsesApi, FunctionCallsAndTextFormat) {
  size_t most = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {  // no seed in this API: each samples afresh
    json body = request({{"tools", kTools}, {"tool_choice", "required"}, {"max_output_tokens", 120},
                         {"temperature", 1}});
    auto r = post_json(*client_, "/v1/responses", body);
    ASSERT_EQ(r.status, 200) << r.raw;
    for (const auto& item : r.body["output"]) EXPECT_EQ(call_problem(item), "") << r.raw;
    most = std::max(most, r.body["output"].size());
    body["stream"] = true;
    int done_items = 0;
    for (const auto& [name, data] : events_of(post_stream(*client_, "/v1/responses", body).body)) {
      if (name == "response.output_item.done") {
        EXPECT_EQ(call_problem(data["item"]), "");
        ++done_items;
      }
      EXPECT_NE(name, "response.output_text.delta") << "a call leaked as text";
    }
    EXPECT_GE(done_items, 1);
    body["stream"] = false;
    body["parallel_tool_calls"] = false;
    body["tool_choice"] = {{"type", "function"}, {"name", "now"}};
    auto one = post_json(*client_, "/v1/responses", body);
    ASSERT_EQ(one.body["output"].size(), 1u) << one.raw;
    EXPECT_EQ(one.body["output"][0]["name"], "now");
  }
  EXPECT_GE(most, 2u) << "no response held several calls";

  auto formatted = post_json(*client_, "/v1/responses",
                             request({{"max_output_tokens", 80},
                                      {"text", {{"format", {{"type", "json_schema"}, {"name", "n"},
                                                            {"schema", {{"type", "object"},
                                                                        {"properties", {{"n", {{"type", "integer"}}}}},
                                                                        {"required", {"n"}}, {"additionalProperties", false}}}}}}}}));
  ASSERT_EQ(formatted.status, 200) << formatted.raw;
  if (formatted.body["status"] == "completed") {
    const json value = json::parse(formatted.body["output"][0]["content"][0]["text"].get<std::string>());
    EXPECT_TRUE(value.is_object() && value.size() == 1 && value["n"].is_number_integer()) << value;
  }
}

TEST_F(ResponsesApi, ErrorsAre400InOpenAisShape) {
  auto error = [&](const json& extra) {
    json body = request(json::object());
    body.update(extra);
    auto r = post_json(*client_, "/v1/responses", body);
    EXPECT_EQ(r.status, 400) << r.raw;
    EXPECT_EQ(r.body["error"]["type"], "invalid_request_error") << r.raw;
    return r.body["error"]["message"].is_string() ? r.body["error"]["message"].get<std::string>() : r.raw;
  };
  EXPECT_NE(error({{"previous_response_id", "resp_1"}}).find("previous_response_id"), std::string::npos);
  EXPECT_NE(error({{"tools", {{{"type", "file_search"}}}}}).find("tools[0].type"), std::string::npos);
  EXPECT_EQ(error({{"input", {{{"role", "user"}, {"content", {{{"type", "input_file"}}}}}}}}),
            "input[0].content[0]: input_file parts are not supported");
  EXPECT_EQ(error({{"input", {{{"type", "web_search_call"}}}}}), "input[0].type: \"web_search_call\" items are not supported");
  EXPECT_NE(error({{"max_output_tokens", "many"}}).find("max_output_tokens"), std::string::npos);
  EXPECT_NE(error({{"text", {{"format", {{"type", "yaml"}}}}}}).find("text.format.type"), std::string::npos);
  json no_input = request(json::object());
  no_input.erase("input");
  auto r = post_json(*client_, "/v1/responses", no_input);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["message"], "input: field required");
}

}  // namespace
}  // namespace airlock::server::testing
