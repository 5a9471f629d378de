// JSON Schema -> grammar: hand-written valid and invalid documents per keyword, and refusal of
// what the compiler does not support.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "airlock/error.h"
#include "grammar/json_schema.h"
#include "grammar/matcher.h"
#include "support/error_of.h"

namespace airlock::grammar {
namespace {

bool accepts(const std::shared_ptr<const Grammar>& g, std::string_view s) {
  Matcher m(g);
  return m.accept(s) && m.is_complete();
}

std::shared_ptr<const Grammar> compile(const char* schema) { return json_schema_to_grammar(std::string_view(schema)); }

std::string error_of(const char* schema) { return testing::error_of([&] { compile(schema); }); }

TEST(JsonSchema, ObjectPropertiesInDeclaredOrderRequiredAndOptional) {
  auto g = compile(R"({"type":"object","properties":{"z":{"type":"integer"},"a":{"type":"string"},"m":{"type":"boolean"}},
                       "required":["a"]})");
  EXPECT_TRUE(accepts(g, R"({"a":"x"})"));
  EXPECT_TRUE(accepts(g, R"({"z":1,"a":"x"})"));
  EXPECT_TRUE(accepts(g, R"({ "z" : -5 , "a" : "" , "m" : true })"));
  EXPECT_TRUE(accepts(g, R"({"a":"x","m":false})"));
  EXPECT_FALSE(accepts(g, R"({})"));              // a is required
  EXPECT_FALSE(accepts(g, R"({"a":"x","z":1})"));  // declared order
  EXPECT_FALSE(accepts(g, R"({"z":1})"));
  EXPECT_FALSE(accepts(g, R"({"a":"x",})"));
  EXPECT_FALSE(accepts(g, R"({"a":"x","b":1})"));  // undeclared
}

TEST(JsonSchema, AllOptionalProperties) {
  auto g = compile(R"({"properties":{"a":{"type":"null"},"b":{"const":7}}})");
  for (const char* ok : {"{}", R"({"a":null})", R"({"b":7})", R"({"a":null,"b":7})"}) EXPECT_TRUE(accepts(g, ok)) << ok;
  for (const char* bad : {R"({,"b":7})", R"({"b":8})", R"({"b":7,"a":null})"}) EXPECT_FALSE(accepts(g, bad)) << bad;
}

TEST(JsonSchema, WhitespaceIsBounded) {
  auto g = compile(R"({"type":"object","properties":{"a":{"type":"integer"}}})");
  std::string ok = "{" + std::string(kMaxWhitespace, ' ') + "}";
  EXPECT_TRUE(accepts(g, ok));
  Matcher m(g);
  EXPECT_FALSE(m.accept("{\"a\":" + std::string(kMaxWhitespace + 1, ' ')));
}

TEST(JsonSchema, StringsLengthsPatternsFormats) {
  auto len = compile(R"({"type":"string","minLength":2,"maxLength":3})");
  EXPECT_TRUE(accepts(len, R"("ab")"));
  EXPECT_TRUE(accepts(len, R"("\u00e9\n")"));  // escapes count as one character
  EXPECT_TRUE(accepts(len, "\"\xc3\xa9\xc3\xa9\xc3\xa9\""));
  EXPECT_FALSE(accepts(len, R"("a")"));
  EXPECT_FALSE(accepts(len, R"("abcd")"));
  EXPECT_FALSE(accepts(len, R"("\ud800")"));  // lone surrogate escape

  auto pat = compile(R"j({"type":"string","pattern":"^[A-Z]{2}-\\d{3}(x|yz)?$"})j");
  EXPECT_TRUE(accepts(pat, R"("AB-123")"));
  EXPECT_TRUE(accepts(pat, R"("QQ-000yz")"));
  EXPECT_FALSE(accepts(pat, R"("AB-12")"));
  EXPECT_FALSE(accepts(pat, R"("ab-123")"));

  auto quote = compile(R"({"pattern":"a\"b\\\\c.[^x]"})");
  EXPECT_TRUE(accepts(quote, R"("a\"b\\cdy")"));
  EXPECT_FALSE(accepts(quote, R"("a"b\\cdy")"));
  EXPECT_FALSE(accepts(quote, R"("a\"b\\cd"")"));  // the negated class leaves out the quote

  auto date = compile(R"({"type":"string","format":"date"})");
  EXPECT_TRUE(accepts(date, R"("2024-02-28")"));
  EXPECT_TRUE(accepts(date, R"("1999-12-31")"));
  EXPECT_FALSE(accepts(date, R"("2024-02-30")"));
  EXPECT_FALSE(accepts(date, R"("2024-04-31")"));
  EXPECT_FALSE(accepts(date, R"("2024-13-01")"));
  auto dt = compile(R"({"type":"string","format":"date-time"})");
  EXPECT_TRUE(accepts(dt, R"("2024-01-05T23:59:01Z")"));
  EXPECT_TRUE(accepts(dt, R"("2024-01-05T00:00:00.123+05:30")"));
  EXPECT_FALSE(accepts(dt, R"("2024-01-05T24:00:00Z")"));
  EXPECT_FALSE(accepts(dt, R"("2024-01-05 10:00:00Z")"));
  auto uuid = compile(R"({"type":"string","format":"uuid"})");
  EXPECT_TRUE(accepts(uuid, R"("123e4567-e89b-12d3-a456-426614174000")"));
  EXPECT_FALSE(accepts(uuid, R"("123e4567e89b-12d3-a456-426614174000")"));
  auto email = compile(R"({"type":"string","format":"email"})");
  EXPECT_TRUE(accepts(email, R"("first.last+tag@mail.example.org")"));
  EXPECT_FALSE(accepts(email, R"("no-at-sign.example.org")"));
  EXPECT_FALSE(accepts(email, R"("a@b")"));
}

TEST(JsonSchema, IntegerAndNumberBounds) {
  auto g = compile(R"({"type":"integer","minimum":-15,"maximum":204})");
  for (int v = -40; v <= 300; ++v) EXPECT_EQ(accepts(g, std::to_string(v)), v >= -15 && v <= 204) << v;
  EXPECT_FALSE(accepts(g, "007"));
  EXPECT_FALSE(accepts(g, "-0"));
  auto ex = compile(R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10})");
  for (int v = -3; v <= 13; ++v) EXPECT_EQ(accepts(ex, std::to_string(v)), v > 0 && v < 10) << v;
  auto open = compile(R"({"type":"integer","minimum":1000})");
  EXPECT_TRUE(accepts(open, "1000"));
  EXPECT_TRUE(accepts(open, "12345678"));
  EXPECT_FALSE(accepts(open, "999"));
  EXPECT_FALSE(accepts(open, "-1000"));
  auto neg = compile(R"({"type":"integer","maximum":-3})");
  EXPECT_TRUE(accepts(neg, "-3"));
  EXPECT_TRUE(accepts(neg, "-100"));
  EXPECT_FALSE(accepts(neg, "-2"));
  EXPECT_FALSE(accepts(neg, "0"));

  auto num = compile(R"({"type":"number","minimum":-2,"maximum":3})");
  for (const char* ok : {"3", "2.999", "0", "-0.5", "-2", "-1.99", "0.0", "1"}) EXPECT_TRUE(accepts(num, ok)) << ok;
  for (const char* bad : {"3.1", "-2.01", "-3", "4", "1e2", "03"}) EXPECT_FALSE(accepts(num, bad)) << bad;
}

TEST(JsonSchema, EnumsConstsUnionsAndNullable) {
  auto e = compile(R"({"enum":["red","gr\"een",3,null,{"k":[1]}]})");
  for (const char* ok : {R"("red")", R"("gr\"een")", "3", "null", R"({"k":[1]})"}) EXPECT_TRUE(accepts(e, ok)) << ok;
  EXPECT_FALSE(accepts(e, R"("blue")"));
  auto u = compile(R"({"anyOf":[{"type":"string","maxLength":1},{"type":"integer","minimum":5,"maximum":6}]})");
  EXPECT_TRUE(accepts(u, R"("x")"));
  EXPECT_TRUE(accepts(u, "6"));
  EXPECT_FALSE(accepts(u, "7"));
  auto n = compile(R"({"type":["string","null"]})");
  EXPECT_TRUE(accepts(n, "null"));
  EXPECT_TRUE(accepts(n, R"("s")"));
  auto oa = compile(R"({"type":"boolean","nullable":true})");
  EXPECT_TRUE(accepts(oa, "null"));
  EXPECT_TRUE(accepts(oa, "false"));
}

TEST(JsonSchema, ArraysWithBounds) {
  auto g = compile(R"({"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3})");
  EXPECT_TRUE(accepts(g, "[1,2]"));
  EXPECT_TRUE(accepts(g, "[ 1 , 2 , 3 ]"));
  EXPECT_FALSE(accepts(g, "[1]"));
  EXPECT_FALSE(accepts(g, "[1,2,3,4]"));
  EXPECT_FALSE(accepts(g, "[1,]"));
  auto any = compile(R"({"type":"array"})");
  EXPECT_TRUE(accepts(any, "[]"));
  EXPECT_TRUE(accepts(any, R"([1,"a",{"b":[null]},true])"));
}

TEST(JsonSchema, RefsDefsAndRecursion) {
  auto g = compile(R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
      "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}},"$ref":"#/$defs/node"})");
  EXPECT_TRUE(accepts(g, R"({"v":1})"));
  EXPECT_TRUE(accepts(g, R"({"v":1,"kids":[{"v":2,"kids":[]},{"v":3,"kids":[{"v":4}]}]})"));
  EXPECT_FALSE(accepts(g, R"({"v":1,"kids":[{"kids":[]}]})"));
  auto old = compile(R"({"definitions":{"a":{"type":"string"}},"type":"object","properties":{"x":{"$ref":"#/definitions/a"}},"required":["x"]})");
  EXPECT_TRUE(accepts(old, R"({"x":"s"})"));
  auto self = compile(R"({"type":"object","properties":{"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["next"]})");
  EXPECT_TRUE(accepts(self, R"({"next":{"next":null}})"));
}

TEST(JsonSchema, AllOfMergesObjects) {
  auto g = compile(R"({"$defs":{"base":{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}},
      "allOf":[{"$ref":"#/$defs/base"},{"properties":{"name":{"type":"string"}},"required":["name"]}]})");
  EXPECT_TRUE(accepts(g, R"({"id":1,"name":"n"})"));
  EXPECT_FALSE(accepts(g, R"({"id":1})"));
  auto single = compile(R"({"allOf":[{"type":"boolean"}]})");
  EXPECT_TRUE(accepts(single, "true"));
}

TEST(JsonSchema, FreeFormMapsAndJsonMode) {
  auto map = compile(R"({"type":"object","additionalProperties":{"type":"integer"}})");
  EXPECT_TRUE(accepts(map, R"({"a":1,"b":2})"));
  EXPECT_FALSE(accepts(map, R"({"a":"x"})"));
  auto any = json_object_grammar();
  EXPECT_TRUE(accepts(any, R"({"a":[1,2.5e3,{"b":null}],"c":"\u00e9\"","d":{}})"));
  EXPECT_TRUE(accepts(any, "{}"));
  EXPECT_FALSE(accepts(any, "[]"));
  EXPECT_FALSE(accepts(any, R"({"a":01})"));
  EXPECT_FALSE(accepts(any, R"({"a":tru})"));
}

TEST(JsonSchema, RefusesUnsupportedKeywordsByName) {
  EXPECT_EQ(error_of(R"({"type":"array","uniqueItems":true})"), "JSON schema #: unsupported keyword 'uniqueItems'");
  EXPECT_EQ(error_of(R"({"properties":{"a":{"type":"number","multipleOf":2}}})"),
            "JSON schema #/properties/a: unsupported keyword 'multipleOf'");
  EXPECT_EQ(error_of(R"({"type":"object","patternProperties":{}})"), "JSON schema #: unsupported keyword 'patternProperties'");
  EXPECT_EQ(error_of(R"({"type":"string","format":"hostname"})"), "JSON schema #: unsupported format 'hostname'");
  EXPECT_EQ(error_of(R"({"type":"tuple"})"), "JSON schema #: unknown type 'tuple'");
  EXPECT_EQ(error_of(R"({"$ref":"#/$defs/missing"})"), "JSON schema #: $ref '#/$defs/missing' points to nothing");
  EXPECT_EQ(error_of(R"({"$ref":"http://x/y"})"), "JSON schema #: $ref 'http://x/y' is not a local reference (only '#/...' is supported)");
  EXPECT_EQ(error_of(R"j({"type":"string","pattern":"(a)\\1"})j"), "JSON schema pattern '(a)\\1': unsupported escape '\\1' at offset 5");
  EXPECT_EQ(error_of(R"j({"type":"string","pattern":"a(?=b)"})j"),
            "JSON schema pattern 'a(?=b)': lookaround and named groups are not supported at offset 2");
  EXPECT_EQ(error_of(R"({"required":["x"],"properties":{}})"), "JSON schema #: required property 'x' is not declared in 'properties'");
  EXPECT_EQ(error_of(R"({"type":"number","minimum":0.5})"), "JSON schema #: 'minimum'/'maximum' on a number must be whole numbers");
  EXPECT_EQ(error_of("{not json"), "JSON schema: not valid JSON");
  EXPECT_EQ(error_of("false"), "JSON schema #: schema 'false' matches nothing");
}

}  // namespace
}  // namespace airlock::grammar
