// Runs the built `airlock rag ...` commands against a temporary store holding the fixture models:
// create, ingest (a broken file reported and skipped; a rerun skips unchanged files; --prune drops
// deleted ones), ls/show, search --json, ask (with sources, and the nothing-found answer), a
// collection whose embedding model was removed, and rm.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "rag/answer_prompt.h"
#include "store/store.h"
#include "support/fixtures.h"

using nlohmann::json;
using namespace airlock;
namespace fs = std::filesystem;

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class RagCli : public ::testing::Test {
 protected:
  void SetUp() override {
    AIRLOCK_REQUIRE_FIXTURES();
    char tmpl[] = "/tmp/airlock-rag-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store::Store st(dir_ / "store");
    for (const auto& [file, name] : {std::pair{"bert-bge-f16.gguf", "bge"}, std::pair{"qwen2-gpt2-q4_k_m.gguf", "qwen"}})
      st.import_gguf(fixtures::dir() / "models" / file, name, {"test", nullptr, nullptr});
    write("docs/sop/pump.md",
          "# Coolant pump\n\nThe coolant pump must be inspected every 400 operating hours. Replace the impeller seal "
          "when the drip rate exceeds three drops per minute.\n\n## Shutdown\n\nClose valve V12 before draining.\n");
    write("docs/badge.txt", "Visitors receive a yellow badge at the north gate and are escorted at all times.\n");
    write("docs/broken.pdf", "%PDF-1.7\nthis is not really a PDF at all\n");
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << text;
  }
  CliRun run(const std::string& args) {
    CliRun r;
    const std::string err_file = (dir_ / "stderr.txt").string();
    const std::string cmd = "AIRLOCK_MODELS=" + quote((dir_ / "store").string()) + " " + AIRLOCK_BIN + " " + args +
                            " 2>" + quote(err_file);
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 65536> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream e(err_file);
    r.err.assign(std::istreambuf_iterator<char>(e), std::istreambuf_iterator<char>());
    return r;
  }
  std::string docs() const { return quote((dir_ / "docs").string()); }

  fs::path dir_;
};

TEST_F(RagCli, CreateIngestSearchAskRemove) {
  auto c = run("rag create plant --embed bge --chunk-tokens 64 --overlap 8");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(run("rag create plant --embed bge").exit_code, 0);
  auto bad = run("rag create other --embed nosuchmodel");
  EXPECT_NE(bad.exit_code, 0);

  // The broken PDF is reported and skipped; the rest goes in; exit status 1 says something failed.
  auto i = run("rag ingest plant " + docs());
  EXPECT_EQ(i.exit_code, 1) << i.out << i.err;
  EXPECT_NE(i.out.find("3 files: 2 added, 0 updated, 0 unchanged"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("failed: " + fs::canonical(dir_ / "docs/broken.pdf").string()), std::string::npos) << i.out;
  auto again = run("rag ingest plant " + docs());
  EXPECT_NE(again.out.find("0 added, 0 updated, 2 unchanged"), std::string::npos) << again.out;

  auto s = run("rag search plant 'impeller seal drip rate' -k 2 --json");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const json j = json::parse(s.out);
  ASSERT_FALSE(j["results"].empty());
  EXPECT_EQ(j["results"][0]["path"], fs::canonical(dir_ / "docs/sop/pump.md").string());
  EXPECT_LE(j["results"].size(), 2u);

  auto ask = run("rag ask plant 'How often is the coolant pump inspected?' --model qwen -k 2 --num-predict 8 --ctx 1024");
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const auto sources = ask.out.find("Sources:");
  ASSERT_NE(sources, std::string::npos) << ask.out;
  EXPECT_NE(ask.out.find("pump.md, lines ", sources), std::string::npos) << ask.out;
  auto nothing = run("rag ask plant 'zyxwv qqqq' --model qwen --min-similarity 1");
  ASSERT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_EQ(nothing.out, std::string(rag::kNothingFound) + "\n");

  // A changed file is replaced, a deleted one pruned.
  write("docs/sop/pump.md", "# Coolant pump\n\nInspect the coolant pump every 250 operating hours.\n");
  fs::remove(dir_ / "docs/badge.txt");
  auto p = run("rag ingest plant " + docs() + " --prune");
  EXPECT_NE(p.out.find("1 updated, 0 unchanged, 1 removed"), std::string::npos) << p.out;
  auto show = run("rag show plant");
  EXPECT_NE(show.out.find("pump.md"), std::string::npos);
  EXPECT_EQ(show.out.find("badge.txt"), std::string::npos) << show.out;
  EXPECT_NE(run("rag ls").out.find("plant"), std::string::npos);

  // The embedding model removed from the store: a clear error naming it.
  ASSERT_EQ(run("rm bge").exit_code, 0);
  auto orphan = run("rag search plant pump");
  EXPECT_NE(orphan.exit_code, 0);
  EXPECT_NE(orphan.err.find("'bge"), std::string::npos) << orphan.err;

  ASSERT_EQ(run("rag rm plant").exit_code, 0);
  EXPECT_EQ(run("rag ls").out.find("plant"), std::string::npos);
  EXPECT_NE(run("rag search plant pump").exit_code, 0);
}

}  // namespace
