// Runs the built `airlock bench` on small fixture models: the JSON report has every requested test
// with positive speeds, the weight bytes per decode step match the file's matrices, and bad input
// fails with one line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "gguf/gguf.h"
#include "support/fixtures.h"

using nlohmann::json;
using namespace airlock;

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

CliRun run_bench(const std::string& args) {
  CliRun r;
  const std::string err_file = ::testing::TempDir() + "bench_stderr.txt";
  const std::string cmd = std::string(AIRLOCK_BIN) + " bench " + args + " 2>" + err_file;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (FILE* e = std::fopen(err_file.c_str(), "r")) {
    while ((n = std::fread(buf.data(), 1, buf.size(), e)) > 0) r.err.append(buf.data(), n);
    std::fclose(e);
  }
  return r;
}

std::string model(const char* name) { return "'" + (fixtures::dir() / "models" / name).string() + "'"; }

}  // namespace

TEST(CliBench, JsonReportsEveryTestAndTheWeightBytesOfADecodeStep) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto path = fixtures::dir() / "models" / "llama-spm-q4_k_m.gguf";
  const CliRun r = run_bench(model("llama-spm-q4_k_m.gguf") + " -p 16 -n 4 -t 2 -r 2 --batch 1,3 --bandwidth-mib 16 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["threads"], 2);
  ASSERT_EQ(j["tests"].size(), 3u);
  EXPECT_EQ(j["tests"][0]["test"], "pp16");
  EXPECT_EQ(j["tests"][1]["test"], "tg4");
  EXPECT_EQ(j["tests"][2]["test"], "tg4 x3");
  EXPECT_EQ(j["tests"][2]["batch"], 3);
  for (const auto& t : j["tests"]) {
    EXPECT_GT(t["tokens_per_second"].get<double>(), 0) << t.dump();
    EXPECT_GE(t["stddev"].get<double>(), 0) << t.dump();
    EXPECT_GT(t["tokens_per_cpu_second_per_thread"].get<double>(), 0) << t.dump();
  }
  EXPECT_GT(j["bandwidth"]["bytes_per_second"].get<double>(), 0);
  EXPECT_EQ(j["bandwidth"]["buffer_bytes"], 16u << 20);

  // A decode step reads every 2-D weight matrix once except the input embedding table (one row);
  // this model has its own output matrix.
  const auto file = gguf::File::open(path);
  double expected = 0;
  for (const auto& t : file->tensors())
    if (t.n_dims == 2 && t.name != "token_embd.weight") expected += static_cast<double>(t.nbytes);
  EXPECT_DOUBLE_EQ(j["decode_weight_bytes_per_token"].get<double>(), expected);
  EXPECT_EQ(j["size_bytes"].get<uint64_t>(), file->file_size());
}

TEST(CliBench, DepthRunsEachTestAfterThatManyCachedTokens) {
  AIRLOCK_REQUIRE_FIXTURES();
  const CliRun r = run_bench(model("llama-spm-q4_k_m.gguf") + " -d 40 -p 16 -n 4 -t 2 -r 1 --batch 1,3 --bandwidth-mib 16 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["tests"].size(), 3u);
  EXPECT_EQ(j["tests"][0]["test"], "pp16 @ d40");
  EXPECT_EQ(j["tests"][1]["test"], "tg4 @ d40");
  EXPECT_EQ(j["tests"][2]["test"], "tg4 x3 @ d40");
  for (const auto& t : j["tests"]) {
    EXPECT_EQ(t["depth"], 40) << t.dump();
    EXPECT_GT(t["tokens_per_second"].get<double>(), 0) << t.dump();
  }
}

TEST(CliBench, TableNamesTheModelAndTests) {
  AIRLOCK_REQUIRE_FIXTURES();
  const CliRun r = run_bench(model("stories260K.gguf") + " -p 8 -n 2 -t 1 -r 1 --batch 1 --bandwidth-mib 8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| llama"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pp8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tg2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("memory read bandwidth"), std::string::npos) << r.out;
}

TEST(CliBench, BadInputFailsWithOneLine) {
  AIRLOCK_REQUIRE_FIXTURES();
  const std::string missing = "'" + (fixtures::dir() / "models" / "no-such-model.gguf").string() + "'";
  for (const std::string& args : {missing, model("stories260K.gguf") + " -r 0",
                                  model("stories260K.gguf") + " --batch 0",
                                  model("stories260K.gguf") + " -p 100000",
                                  model("stories260K.gguf") + " -p 8 -d 100000",
                                  model("stories260K.gguf") + " -d -1",
                                  model("bert-bge-f16.gguf")}) {
    const CliRun r = run_bench(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.err.find("airlock: error: "), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << args << ": " << r.err;
  }
}
