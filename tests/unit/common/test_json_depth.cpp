#include <gtest/gtest.h>

#include <airlock/error.h>

#include <nlohmann/json.hpp>

#include <string>

#include "common/json_depth.h"
#include "support/error_of.h"

namespace airlock {
namespace {

std::string nested(size_t depth, char open, char close, const std::string& inner = "") {
  return std::string(depth, open) + inner + std::string(depth, close);
}

TEST(JsonDepth, AcceptsUpToTheLimit) {
  EXPECT_NO_THROW(require_json_depth_within(nested(kMaxJsonDepth, '[', ']'), "body"));
  EXPECT_NO_THROW(require_json_depth_within("{\"a\":{\"b\":[1,2,{\"c\":3}]}}", "body", 4));
  EXPECT_NO_THROW(require_json_depth_within("", "body"));
}

TEST(JsonDepth, RefusesOneLevelPastTheLimitNamingTheSource) {
  const std::string msg = testing::error_of([] { require_json_depth_within(nested(kMaxJsonDepth + 1, '[', ']'), "request body"); });
  EXPECT_NE(msg.find("request body"), std::string::npos) << msg;
  EXPECT_NE(msg.find("128"), std::string::npos) << msg;
  EXPECT_THROW(require_json_depth_within("{\"a\":{\"b\":{\"c\":{}}}}", "x", 3), Error);
}

TEST(JsonDepth, MixedBracketsCountTogether) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "{\"k\":[";
  text += "1";
  for (int i = 0; i < 100; ++i) text += "]}";
  EXPECT_THROW(require_json_depth_within(text, "x"), Error);  // 200 levels
  EXPECT_NO_THROW(require_json_depth_within(text, "x", 200));
}

TEST(JsonDepth, BracketsInsideStringsDoNotCount) {
  const std::string deep_string = "{\"s\":\"" + nested(1000, '[', '{') + "\"}";
  EXPECT_NO_THROW(require_json_depth_within(deep_string, "x"));
  // An escaped quote does not end the string early.
  const std::string escaped = "[\"\\\"" + nested(500, '[', ']') + "\"]";
  EXPECT_NO_THROW(require_json_depth_within(escaped, "x"));
  // An escaped backslash before the closing quote does end it.
  EXPECT_THROW(require_json_depth_within("[\"\\\\\"" + nested(200, '[', ']') + "]", "x"), Error);
}

TEST(JsonDepth, SiblingsDoNotAccumulate) {
  std::string text = "[";
  for (int i = 0; i < 10000; ++i) text += (i ? ",[[1]]" : "[[1]]");
  text += "]";
  EXPECT_NO_THROW(require_json_depth_within(text, "x", 3));
}

TEST(JsonDepth, TheDeepBodyFromTheHardeningReportIsRefusedBeforeParsing) {
  // 60,000 nested arrays in options.stop: parsing it and dumping it again overflowed the stack.
  const std::string body = "{\"model\":\"m\",\"options\":{\"stop\":" + nested(60000, '[', ']') + "}}";
  EXPECT_THROW(require_json_depth_within(body, "request body"), Error);
}

}  // namespace
}  // namespace airlock
