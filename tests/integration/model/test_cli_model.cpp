// Runs the airlock binary's run / logits / embed commands on the fixture models.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "support/cli_runner.h"
#include "support/fixtures.h"

namespace {

using airlock::cli_runner::quote;
using airlock::cli_runner::Result;

// stdout only; stderr is discarded unless asked for.
Result run(const std::string& args, bool with_stderr = false) {
  return airlock::cli_runner::run(std::string(AIRLOCK_BINARY) + " " + args, with_stderr);
}

std::string model(const std::string& name) { return quote((airlock::fixtures::dir() / "models" / (name + ".gguf")).string()); }

nlohmann::json reference(const std::string& name) {
  return nlohmann::json::parse(airlock::fixtures::read_file(airlock::fixtures::dir() / "models" / (name + ".ref.json")));
}

TEST(CliRun, Stories260KGreedyPrintsTheReferenceStory) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto ref = reference("stories260K");
  const auto& c = ref["cases"][0];
  const auto r = run("run " + model("stories260K") + " " + quote(c["prompt"]) +
                     " --temperature 0 --threads 1 -n " + std::to_string(c["greedy"].size()));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, c["greedy_text"].get<std::string>() + "\n");
}

TEST(CliRun, VerboseReportsSpeedAndBadModelFailsCleanly) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto r = run("run " + model("stories260K") + " Hello -n 4 --threads 1 --verbose", true);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("tokens/s"), std::string::npos) << r.out;
  const auto bad = run("run " + model("bert-bge-f16") + " Hello", true);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("airlock: error:"), std::string::npos) << bad.out;
}

TEST(CliLogits, TopAndFullMatchReference) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto ref = reference("stories260K");
  const auto& c = ref["cases"][1];
  const auto r = run("logits " + model("stories260K") + " --prompt " + quote(c["prompt"]) + " --top 3 --full --threads 1");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tokens"], c["tokens"]);
  ASSERT_EQ(j["top"].size(), c["tokens"].size());
  for (size_t p = 0; p < j["top"].size(); ++p) {
    ASSERT_EQ(j["top"][p].size(), 3u);
    EXPECT_EQ(j["top"][p][0][0], c["prompt_top8"][p][0][0]) << "position " << p;
  }
  EXPECT_EQ(j["last_logits"].size(), 512u);
}

TEST(CliEmbed, OneVectorPerTextNormalised) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto r = run("embed " + model("bert-bge-f16") + " 'Hello world' 'Second text' --normalize --threads 1");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto nl = r.out.find('\n');
  ASSERT_NE(nl, std::string::npos);
  for (const auto& line : {r.out.substr(0, nl), r.out.substr(nl + 1)}) {
    const auto v = nlohmann::json::parse(line).get<std::vector<float>>();
    ASSERT_EQ(v.size(), 256u);
    double len = 0;
    for (float x : v) len += static_cast<double>(x) * x;
    EXPECT_NEAR(len, 1.0, 1e-4);
  }
}

}  // namespace
