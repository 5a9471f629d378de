// `airlock serve` as a user runs it: which of flags, environment, config file and defaults wins,
// seen through --print-config, and the errors a bad config gives before anything is served.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "support/cli_runner.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using airlock::cli_runner::quote;

class ServeConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("airlock-serve-config-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(home_);
  }
  void TearDown() override { fs::remove_all(home_); }
  void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  // Runs serve in a clean environment (HOME = the scratch folder, no AIRLOCK_* / OLLAMA_* variables
  // but `env`).
  airlock::cli_runner::Result serve(const std::string& env, const std::string& args, bool with_stderr = true) {
    std::string cmd = "env -i PATH=/usr/bin:/bin HOME=" + quote(home_.string()) + " " + env + " " +
                      AIRLOCK_BINARY + " serve " + args;
    return airlock::cli_runner::run(cmd, with_stderr);
  }
  json print_config(const std::string& env, const std::string& args) {
    auto r = serve(env, args + " --print-config", false);
    EXPECT_EQ(r.status, 0) << r.out;
    return json::parse(r.out, nullptr, false);
  }
  fs::path home_;
};

TEST_F(ServeConfig, FlagsBeatEnvironmentBeatFileBeatDefaults) {
  const fs::path file = home_ / "airlock.json";
  write(file, R"({"num_parallel": 2, "max_queue": 7, "num_ctx": 1024, "max_loaded_models": 2, "models": "m"})");
  const json c = print_config("AIRLOCK_NUM_PARALLEL=3 AIRLOCK_MAX_QUEUE=9", "--config " + quote(file.string()) + " --parallel 5");
  ASSERT_TRUE(c.is_object());
  EXPECT_EQ(c["num_parallel"]["value"], 5);
  EXPECT_EQ(c["num_parallel"]["source"], "--parallel");
  EXPECT_EQ(c["max_queue"]["value"], 9);
  EXPECT_EQ(c["max_queue"]["source"], "AIRLOCK_MAX_QUEUE");
  EXPECT_EQ(c["num_ctx"]["value"], 1024);
  EXPECT_EQ(c["num_ctx"]["source"], file.string() + ": num_ctx");
  EXPECT_EQ(c["models"]["value"], (home_ / "m").string());
  EXPECT_EQ(c["threads"]["value"], 0);
  EXPECT_EQ(c["threads"]["source"], "default");
  EXPECT_EQ(c["keep_alive"]["value"], 300);
}

TEST_F(ServeConfig, DefaultFileIsHomeAirlockConfigJson) {
  json c = print_config("", "");
  EXPECT_EQ(c["num_parallel"]["source"], "default");
  EXPECT_EQ(c["models"]["value"], (home_ / ".airlock" / "models").string());
  write(home_ / ".airlock" / "config.json", R"({"num_parallel": 6})");
  c = print_config("", "");
  EXPECT_EQ(c["num_parallel"]["value"], 6);
  const fs::path other = home_ / "other.json";
  write(other, R"({"num_parallel": 8})");
  c = print_config("AIRLOCK_CONFIG=" + quote(other.string()), "");
  EXPECT_EQ(c["num_parallel"]["value"], 8);
}

TEST_F(ServeConfig, BadConfigStopsServeWithOneLine) {
  const fs::path file = home_ / "bad.json";
  write(file, R"({"max_loaded_models": 0})");
  auto r = serve("", "--config " + quote(file.string()));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find(file.string() + ": max_loaded_models: 0 is out of range [1, 64]"), std::string::npos) << r.out;
  auto missing = serve("", "--config " + quote((home_ / "absent.json").string()));
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.out.find("absent.json: cannot read the config file"), std::string::npos) << missing.out;
  auto flag = serve("", "--parallel 0 --print-config");
  EXPECT_NE(flag.status, 0);
  EXPECT_NE(flag.out.find("--parallel: 0 is out of range [1, 256]"), std::string::npos) << flag.out;
  auto env = serve("AIRLOCK_MAX_QUEUE=lots", "--print-config");
  EXPECT_NE(env.status, 0);
  EXPECT_NE(env.out.find("AIRLOCK_MAX_QUEUE: 'lots' is not a whole number"), std::string::npos) << env.out;
}

}  // namespace
