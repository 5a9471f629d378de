// Bad input never crashes: thousands of randomly mutated grammars and schemas either compile or
// fail with airlock::Error, and whatever compiles can be matched against random bytes.
#include <gtest/gtest.h>

#include <random>

#include "airlock/error.h"
#include "grammar/json_schema.h"
#include "grammar/matcher.h"

namespace airlock::grammar {
namespace {

std::string mutate(std::string s, std::mt19937& rng) {
  const std::string alphabet = "\"[]{}()|*+?.^\\-:=,0123456789abcxu#\n \xc3\xa9\xff";
  int edits = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int i = 0; i < edits; ++i) {
    size_t at = s.empty() ? 0 : std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng);
    char c = alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0: if (!s.empty()) s[at] = c; break;
      case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
      case 2: if (!s.empty()) s.erase(at, 1); break;
      default: s.resize(at); break;
    }
  }
  return s;
}

void exercise(const std::shared_ptr<const Grammar>& g, std::mt19937& rng) {
  Matcher m(g);
  for (int i = 0; i < 40 && !m.dead(); ++i) {
    std::string bytes(1, static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)));
    m.accept(bytes);
    m.shortest_completion_bytes();
  }
}

TEST(Robustness, MutatedGrammarsFailCleanly) {
  const std::string seeds[] = {
      "root ::= \"a\" [b-d]* (x | y){2,3}\nx ::= \"x\"? [^\\n]\ny ::= \"\\u00e9\" .+",
      "root ::= list\nlist ::= \"[\" (item (\",\" item)*)? \"]\"\nitem ::= list | [0-9]+ # c",
  };
  std::mt19937 rng(12345);
  int compiled = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string src = mutate(seeds[i % 2], rng);
    try {
      auto g = Grammar::parse(src);
      ++compiled;
      exercise(g, rng);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(compiled, 10);  // the mutations must not all be rejected outright
}

TEST(Robustness, MutatedSchemasFailCleanly) {
  const std::string seeds[] = {
      R"({"type":"object","properties":{"a":{"type":"string","pattern":"^[a-z]{2,4}(x|y)?$"},"b":{"$ref":"#/$defs/n"},
          "c":{"type":"array","items":{"enum":[1,"x",null]},"maxItems":3}},"required":["a"],"$defs":{"n":{"type":"integer","minimum":-5,"maximum":90}}})",
      R"({"anyOf":[{"type":"number","minimum":0,"maximum":10},{"allOf":[{"$ref":"#/$defs/o"}]}],"$defs":{"o":{"properties":{"k":{"format":"date"}}}}})",
  };
  std::mt19937 rng(54321);
  int compiled = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = mutate(seeds[i % 2], rng);
    try {
      auto g = json_schema_to_grammar(std::string_view(text));
      ++compiled;
      exercise(g, rng);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(compiled, 10);
}

}  // namespace
}  // namespace airlock::grammar
