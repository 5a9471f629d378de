// `airlock serve --lockdown` as a process: it reports its egress self-test (an outbound connect to
// 192.0.2.1 refused with EPERM inside the serving process) and still serves loopback clients,
// streaming included; `airlock doctor --json` reports the store, settings and its own self-test.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "server_harness.h"
#include "support/cli_runner.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;
using cli_runner::quote;

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST(LockdownServe, RefusesEgressAndServesLoopback) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir store, audit;
  import_fixture_models(store.path());
  const auto log = audit.path() / "serve.log";
  const std::string env = "HOME=" + quote(store.path().string()) + " AIRLOCK_MODELS=" + quote(store.path().string()) + " ";
  const auto started = cli_runner::run(env + AIRLOCK_BINARY " serve --lockdown --port 0 --threads 2 --audit " +
                                           quote((audit.path() / "trail").string()) + " > " + quote(log.string()) +
                                           " 2>&1 & echo $!",
                                       false);
  const pid_t pid = std::stoi(started.out);
  int port = 0;
  std::string text;
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = read(log);
    std::smatch m;
    if (std::regex_search(text, m, std::regex("listening on http://127.0.0.1:([0-9]+)"))) port = std::stoi(m[1]);
  }
  ASSERT_GT(port, 0) << text;
  for (int i = 0; i < 100 && text.find("lockdown on") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = read(log);
  }
  EXPECT_NE(text.find("serve: lockdown on: egress self-test: outbound connection to 192.0.2.1:9 (TEST-NET-1): "
                      "socket(AF_INET) failed: Operation not permitted"),
            std::string::npos)
      << text;
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60);
  auto v = c.Get("/api/version");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 200);
  auto s = post_stream(c, "/api/generate", {{"model", "stories"}, {"prompt", "Once"}, {"options", {{"num_predict", 8}}}});
  EXPECT_EQ(s.status, 200);
  EXPECT_TRUE(s.completed);
  EXPECT_GE(ndjson_lines(s.body).size(), 2u);
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto verify = cli_runner::run(AIRLOCK_BINARY " audit verify " + quote((audit.path() / "trail").string()), true);
  EXPECT_EQ(verify.status, 0) << verify.out;
}

TEST(LockdownServe, DoctorReportsModelsSettingsAndTheSelfTest) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir store;
  import_fixture_models(store.path());
  const std::string env = "HOME=" + quote(store.path().string()) + " AIRLOCK_MODELS=" + quote(store.path().string()) + " ";
  auto tags = cli_runner::run(env + AIRLOCK_BINARY " list", false);
  ASSERT_EQ(tags.status, 0) << tags.out;
  auto r = cli_runner::run(env + AIRLOCK_BINARY " doctor --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  const json d = json::parse(r.out);
  EXPECT_TRUE(d["egress_self_test"]["refused"].get<bool>()) << d.dump(2);
  EXPECT_EQ(d["store"]["path"], store.path().string());
  EXPECT_EQ(d["store"]["models"].size(), 4u);
  for (const auto& m : d["store"]["models"]) EXPECT_EQ(m["digest"].get<std::string>().rfind("sha256:", 0), 0u) << m;
  EXPECT_EQ(d["listen"], "127.0.0.1:11434");
  EXPECT_EQ(d["audit"], "off");
  EXPECT_EQ(d["lockdown"], false);
  // The approved-list check: one model approved by digest, one with a wrong digest.
  std::string stories_digest;
  for (const auto& m : d["store"]["models"])
    if (m["name"].get<std::string>().rfind("stories", 0) == 0) stories_digest = m["digest"];
  std::ofstream(store.path() / "approved.txt") << "stories " << stories_digest << "\nllama sha256:" << std::string(64, '0') << "\n";
  r = cli_runner::run(env + AIRLOCK_BINARY " doctor --json --approved " + quote((store.path() / "approved.txt").string()), false);
  const json a = json::parse(r.out);
  for (const auto& m : a["store"]["models"]) {
    const std::string name = m["name"];
    if (name.rfind("stories", 0) == 0) EXPECT_EQ(m["approved"], "approved");
    else if (name.rfind("llama", 0) == 0) EXPECT_EQ(m["approved"], "DIGEST DIFFERS from the approved list");
    else EXPECT_EQ(m["approved"], "not on the approved list");
  }
  const auto text = cli_runner::run(env + AIRLOCK_BINARY " doctor", false);
  EXPECT_NE(text.out.find("egress self-test (locked child process): REFUSED (EPERM)"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace airlock::server::testing
