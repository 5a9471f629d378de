// read_anthropic_chat without a model: how Anthropic's system, content blocks, tools and
// tool_choice become the chat messages, function tools and tool_choice the chat routes take.
#include <airlock/error.h>
#include <gtest/gtest.h>

#include "server/anthropic_messages.h"

namespace airlock::server {
namespace {

using ojson = nlohmann::ordered_json;

std::string error_of(const ojson& body) {
  try {
    read_anthropic_chat(body);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(AnthropicMessages, BlocksBecomeChatTurns) {
  const AnthropicChat chat = read_anthropic_chat(ojson::parse(R"({
    "system": [{"type": "text", "text": "Be "}, {"type": "text", "text": "brief."}],
    "messages": [
      {"role": "user", "content": "Add 2 and 3, and tell the time."},
      {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "...", "signature": "x"},
        {"type": "text", "text": "Calling."},
        {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 2, "b": 3}},
        {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "5"},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "noon"}], "is_error": true},
        {"type": "text", "text": "Thanks."}]}]})"));
  const ojson expected = ojson::parse(R"([
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Add 2 and 3, and tell the time."},
    {"role": "assistant", "content": "Calling.", "tool_calls": [
      {"id": "toolu_1", "type": "function", "function": {"name": "add", "arguments": {"a": 2, "b": 3}}},
      {"id": "toolu_2", "type": "function", "function": {"name": "now", "arguments": {}}}]},
    {"role": "tool", "tool_call_id": "toolu_1", "content": "5", "name": "add"},
    {"role": "tool", "tool_call_id": "toolu_2", "content": "Error: noon", "name": "now"},
    {"role": "user", "content": "Thanks."}])");
  EXPECT_EQ(chat.messages, expected);
  EXPECT_TRUE(chat.tools.is_null());
  EXPECT_TRUE(chat.tool_choice.is_null());
  EXPECT_TRUE(chat.parallel);
}

TEST(AnthropicMessages, ToolsAndToolChoiceInOpenAisForm) {
  const ojson messages = ojson::parse(R"([{"role": "user", "content": "hi"}])");
  ojson body = {{"messages", messages},
                {"tools", ojson::parse(R"([{"name": "add", "description": "Adds",
                                            "input_schema": {"type": "object"}}])")}};
  EXPECT_EQ(read_anthropic_chat(body).tools, ojson::parse(R"([{"type": "function", "function":
      {"name": "add", "description": "Adds", "parameters": {"type": "object"}}}])"));
  body["tool_choice"] = {{"type", "any"}, {"disable_parallel_tool_use", true}};
  AnthropicChat chat = read_anthropic_chat(body);
  EXPECT_EQ(chat.tool_choice, "required");
  EXPECT_FALSE(chat.parallel);
  body["tool_choice"] = {{"type", "tool"}, {"name", "add"}};
  EXPECT_EQ(read_anthropic_chat(body).tool_choice, ojson::parse(R"({"type": "function", "function": {"name": "add"}})"));
  body["tool_choice"] = {{"type", "none"}};
  EXPECT_EQ(read_anthropic_chat(body).tool_choice, "none");
  body["tool_choice"] = {{"type", "auto"}};
  EXPECT_EQ(read_anthropic_chat(body).tool_choice, "auto");
}

TEST(AnthropicMessages, WhatItCannotHonourIsAnErrorNamingTheField) {
  EXPECT_EQ(error_of({{"messages", ojson::array()}}), "messages: expected a non-empty array");
  EXPECT_EQ(error_of(ojson::parse(R"({"messages": [{"role": "system", "content": "x"}]})")),
            "messages[0].role: expected \"user\" or \"assistant\"");
  EXPECT_EQ(error_of(ojson::parse(R"({"messages": [{"role": "user", "content": [{"type": "tool_use", "id": "a", "name": "f", "input": {}}]}]})")),
            "messages[0].content[0].type: \"tool_use\" blocks are not supported in a user message");
  EXPECT_EQ(error_of(ojson::parse(R"({"messages": [{"role": "user", "content": [{"type": "document"}]}]})")),
            "messages[0].content[0]: document blocks are not supported");
  EXPECT_EQ(error_of(ojson::parse(R"({"messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "f", "input": 3}]}]})")),
            "messages[0].content[0].input: expected an object");
  EXPECT_EQ(error_of(ojson::parse(R"({"system": 5, "messages": [{"role": "user", "content": "x"}]})")),
            "system: expected a string or an array of text blocks");
  EXPECT_EQ(error_of(ojson::parse(R"({"messages": [{"role": "user", "content": "x"}], "tools": [{"name": "f"}]})")),
            "tools[0].input_schema: missing");
  EXPECT_EQ(error_of(ojson::parse(R"({"messages": [{"role": "user", "content": "x"}], "tool_choice": {"type": "sometimes"}})")),
            "tool_choice.type: expected \"auto\", \"any\", \"tool\" or \"none\"");
  EXPECT_EQ(error_of(ojson::parse(R"({"messages": [{"role": "user", "content": "x"}], "tool_choice": {"type": "tool"}})")),
            "tool_choice.name: expected a string");
}

}  // namespace
}  // namespace airlock::server
