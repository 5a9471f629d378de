// read_responses_chat without a model: how the Responses API's instructions, input items, flat
// function tools and text.format become the chat messages, tools and response_format of the
// chat routes.
#include <airlock/error.h>
#include <gtest/gtest.h>

#include "server/responses_input.h"

namespace airlock::server {
namespace {

using ojson = nlohmann::ordered_json;

TEST(ResponsesInput, ItemsBecomeChatTurns) {
  const ResponsesChat chat = read_responses_chat(ojson::parse(R"({
    "instructions": "Be brief.",
    "input": [
      {"role": "developer", "content": "Use tools."},
      {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Add 2 "}, {"type": "input_text", "text": "and 3."}]},
      {"type": "reasoning", "summary": []},
      {"type": "function_call", "call_id": "call_1", "name": "add", "arguments": "{\"a\": 2, \"b\": 3}"},
      {"type": "function_call", "call_id": "call_2", "name": "now", "arguments": "{}"},
      {"type": "function_call_output", "call_id": "call_1", "output": "5"},
      {"type": "function_call_output", "call_id": "call_2", "output": "noon"},
      {"role": "assistant", "content": [{"type": "output_text", "text": "5, at noon."}]}],
    "tools": [{"type": "function", "name": "add", "parameters": {"type": "object"}, "strict": true}],
    "text": {"format": {"type": "json_schema", "name": "n", "schema": {"type": "object"}}}})"));
  EXPECT_EQ(chat.messages, ojson::parse(R"([
    {"role": "system", "content": "Be brief."},
    {"role": "system", "content": "Use tools."},
    {"role": "user", "content": "Add 2 and 3."},
    {"role": "assistant", "content": "", "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": "{\"a\": 2, \"b\": 3}"}},
      {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "5", "name": "add"},
    {"role": "tool", "tool_call_id": "call_2", "content": "noon", "name": "now"},
    {"role": "assistant", "content": "5, at noon."}])"));
  EXPECT_EQ(chat.tools, ojson::parse(R"([{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}])"));
  EXPECT_EQ(chat.response_format,
            ojson::parse(R"({"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}}})"));
  const ResponsesChat plain = read_responses_chat(ojson::parse(R"({"input": "hi", "text": {"format": {"type": "text"}}})"));
  EXPECT_EQ(plain.messages, ojson::parse(R"([{"role": "user", "content": "hi"}])"));
  EXPECT_TRUE(plain.tools.is_null());
  EXPECT_TRUE(plain.response_format.is_null());
}

TEST(ResponsesInput, WhatItCannotHonourIsAnErrorNamingTheField) {
  auto error_of = [](const char* body) {
    try {
      read_responses_chat(ojson::parse(body));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of(R"({})"), "input: field required");
  EXPECT_EQ(error_of(R"({"input": []})"), "input: expected a string or a non-empty array of items");
  EXPECT_EQ(error_of(R"({"input": [{"role": "tool", "content": "x"}]})"),
            "input[0].role: expected \"user\", \"assistant\", \"system\" or \"developer\"");
  EXPECT_EQ(error_of(R"({"input": [{"role": "user", "content": [{"type": "input_image"}]}]})"),
            "input[0].content[0]: input_image parts are not supported");
  EXPECT_EQ(error_of(R"({"input": [{"type": "function_call", "call_id": "c", "name": "f"}]})"),
            "input[0].arguments: expected a string");
  EXPECT_EQ(error_of(R"({"input": "x", "tools": [{"type": "code_interpreter"}]})"),
            "tools[0].type: only function tools are supported (no built-in tools)");
  EXPECT_EQ(error_of(R"({"input": "x", "instructions": 3})"), "instructions: expected a string");
  EXPECT_EQ(error_of(R"({"input": "x", "text": {"format": {"type": "json_schema"}}})"), "text.format.schema: missing");
}

}  // namespace
}  // namespace airlock::server
