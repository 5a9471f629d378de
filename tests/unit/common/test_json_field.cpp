#include "common/json_field.h"

#include <gtest/gtest.h>

using nlohmann::json;

TEST(JsonField, StringOrFallsBackOnEveryWrongShape) {
  EXPECT_EQ(airlock::json_string_or(json{{"format", "x"}}, "format"), "x");
  EXPECT_EQ(airlock::json_string_or(json{{"format", json::array()}}, "format", "none"), "none");
  EXPECT_EQ(airlock::json_string_or(json{{"format", 3}}, "format", "none"), "none");
  EXPECT_EQ(airlock::json_string_or(json{{"other", "x"}}, "format", "none"), "none");
  EXPECT_EQ(airlock::json_string_or(json::array({"format"}), "format", "none"), "none");
  EXPECT_EQ(airlock::json_string_or(json(), "format", "none"), "none");
}

TEST(JsonField, UintOrTakesOnlyNonNegativeIntegers) {
  EXPECT_EQ(airlock::json_uint_or(json{{"seq", 7}}, "seq"), 7u);
  EXPECT_EQ(airlock::json_uint_or(json{{"seq", -7}}, "seq", 1), 1u);
  EXPECT_EQ(airlock::json_uint_or(json{{"seq", 7.5}}, "seq", 1), 1u);
  EXPECT_EQ(airlock::json_uint_or(json{{"seq", "7"}}, "seq", 1), 1u);
  EXPECT_EQ(airlock::json_uint_or(json{{"seq", json::object()}}, "seq", 1), 1u);
  EXPECT_EQ(airlock::json_uint_or(json(42), "seq", 1), 1u);
}
