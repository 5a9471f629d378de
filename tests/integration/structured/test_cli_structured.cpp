// `airlock run MODEL PROMPT --format json | --schema FILE | --grammar FILE` on a random-weight
// fixture model: the printed output follows the constraint, and a bad constraint is one error line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "support/cli_runner.h"
#include "support/fixtures.h"
#include "unit/grammar/schema_validator.h"

namespace {

using airlock::cli_runner::Result;

Result run(const std::string& args) {
  const std::string model = (airlock::fixtures::dir() / "models" / "qwen2-gpt2-q8_0.gguf").string();
  return airlock::cli_runner::run(std::string(AIRLOCK_BINARY) + " run " + airlock::cli_runner::quote(model) + " " + args, true);
}

// A file in a fresh temporary folder, removed with the test.
struct TempFile {
  explicit TempFile(const std::string& text)
      : path(std::filesystem::temp_directory_path() / ("airlock-cli-structured-" + std::to_string(getpid()) + "-" +
                                                        std::to_string(counter++))) {
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
  std::filesystem::path path;
  static inline int counter = 0;
};

TEST(CliStructured, FormatJsonPrintsAnObject) {
  AIRLOCK_REQUIRE_FIXTURES();
  for (int seed = 1; seed <= 3; ++seed) {
    auto r = run("'Reply in JSON' --format json --temperature 1 -n 40 --ctx 256 --seed " + std::to_string(seed));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(nlohmann::json::parse(r.out, nullptr, false).is_object()) << r.out;
  }
}

TEST(CliStructured, SchemaFileIsFollowed) {
  AIRLOCK_REQUIRE_FIXTURES();
  const std::string schema = R"({"type":"object","properties":{"severity":{"enum":["low","high"]},
      "count":{"type":"integer","minimum":1,"maximum":9}},"required":["severity","count"]})";
  TempFile file(schema);
  for (int seed = 1; seed <= 3; ++seed) {
    auto r = run("'Classify' --temperature 1 -n 40 --ctx 256 --schema '" + file.path.string() + "' --seed " +
                 std::to_string(seed));
    ASSERT_EQ(r.status, 0) << r.out;
    auto v = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(v.is_discarded()) << r.out;
    EXPECT_EQ(airlock::grammar::testing::validate(nlohmann::json::parse(schema), v), "") << r.out;
  }
}

TEST(CliStructured, GrammarFileIsFollowed) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempFile file("root ::= \"id-\" [0-9] [0-9] [0-9]\n");
  auto r = run("'Give an id' --temperature 1 -n 20 --ctx 256 --seed 5 --grammar '" + file.path.string() + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("id-[0-9]{3}\n"))) << r.out;
}

TEST(CliStructured, BadConstraintsFailWithOneLine) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempFile bad_grammar("root ::= \"a\" (\n");
  auto r = run("x --grammar '" + bad_grammar.path.string() + "'");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("grammar: "), std::string::npos) << r.out;
  TempFile bad_schema(R"({"type":"object","if":{}})");
  r = run("x --schema '" + bad_schema.path.string() + "'");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("'if'"), std::string::npos) << r.out;
  r = run("x --schema /nonexistent/schema.json");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("/nonexistent/schema.json"), std::string::npos) << r.out;
  r = run("x --schema /dev/null");  // empty: refused, not silently unconstrained
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("empty file"), std::string::npos) << r.out;
  r = run("x --format json --grammar '" + bad_grammar.path.string() + "'");
  EXPECT_NE(r.status, 0);  // exclusive options
  r = run("x --format yaml");
  EXPECT_NE(r.status, 0);
}

}  // namespace
