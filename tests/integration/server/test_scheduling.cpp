// Scheduling: a full queue answers 503 at once, a client that goes away frees its slot, a request
// past its timeout ends with an error object mid-stream, and loaded models are limited (LRU) and
// unloaded after their keep_alive.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <regex>

#include "server_harness.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

double metric(httplib::Client& c, const std::string& name) {
  auto r = c.Get("/metrics");
  if (!r) return -1;
  std::smatch m;
  if (!std::regex_search(r->body, m, std::regex("\n" + name + " ([0-9.e+-]+)\n"))) return -1;
  return std::stod(m[1]);
}

std::set<std::string> loaded(httplib::Client& c) {
  std::set<std::string> out;
  const JsonReply ps = get_json(c, "/api/ps");  // named: the loop must not outlive it
  for (const auto& m : ps.body["models"]) out.insert(m["name"].get<std::string>());
  return out;
}

// A long generation: llama to the end of its 2048-position context.
const json kLong = {{"model", "llama"}, {"prompt", "Tell me everything."}, {"raw", true},
                    {"options", {{"temperature", 0}, {"repeat_penalty", 1}}}};

TEST(Scheduling, FullQueueAnswers503AtOnceAndDisconnectFreesTheSlot) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir dir;
  import_fixture_models(dir.path());
  RunningServer server(dir.path(), [](ServerConfig& c) {
    c.num_parallel = 1;
    c.max_queue = 1;
    c.num_ctx = 2048;
  });
  // A: takes the only slot; its client leaves after the first chunks.
  std::promise<void> a_started;
  std::atomic<bool> a_leave{false};
  auto a = std::async(std::launch::async, [&] {
    auto c = server.client();
    int chunks = 0;
    return post_stream(*c, "/api/generate", kLong, [&](const std::string&) {
      if (++chunks == 1) a_started.set_value();
      return !a_leave.load();
    });
  });
  a_started.get_future().wait();
  // B: waits in the queue (the one place there is).
  std::promise<void> b_started;
  auto b = std::async(std::launch::async, [&] {
    auto c = server.client();
    bool first = true;
    return post_stream(*c, "/api/generate", kLong, [&](const std::string&) {
      if (first) b_started.set_value();
      first = false;
      return false;  // leaves as soon as it gets going
    });
  });
  auto c = server.client();
  for (int i = 0; i < 100 && metric(*c, "airlock_queue_depth") < 2; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(metric(*c, "airlock_queue_depth"), 2);
  // C: no room anywhere.
  const auto t0 = std::chrono::steady_clock::now();
  auto rejected = post_json(*c, "/api/generate", {{"model", "llama"}, {"prompt", "hi"}, {"stream", false}});
  EXPECT_EQ(rejected.status, 503) << rejected.raw;
  EXPECT_NE(rejected.body["error"].get<std::string>().find("busy"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  // A leaves: its slot goes to B, which leaves too; then the model is idle again.
  a_leave = true;
  EXPECT_EQ(b_started.get_future().wait_for(20s), std::future_status::ready);
  a.get();
  b.get();
  for (int i = 0; i < 300 && metric(*c, "airlock_queue_depth") != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(metric(*c, "airlock_queue_depth"), 0);
  auto after = post_json(*c, "/api/generate",
                         {{"model", "llama"}, {"prompt", "hi"}, {"stream", false}, {"options", {{"num_predict", 2}}}});
  EXPECT_EQ(after.status, 200) << after.raw;
}

TEST(Scheduling, TimeoutEndsTheStreamWithAnErrorObject) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir dir;
  import_fixture_models(dir.path());
  RunningServer server(dir.path(), [](ServerConfig& c) { c.request_timeout = std::chrono::seconds(0); });
  auto c = server.client();
  auto r = post_stream(*c, "/api/generate", {{"model", "stories"}, {"prompt", "Once"}});
  ASSERT_EQ(r.status, 200);
  const auto lines = ndjson_lines(r.body);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back()["error"].get<std::string>().find("timed out"), std::string::npos) << r.body;
  auto whole = post_json(*c, "/api/generate", {{"model", "stories"}, {"prompt", "Once"}, {"stream", false}});
  EXPECT_EQ(whole.status, 503);
}

TEST(Scheduling, LeastRecentlyUsedModelIsUnloadedBeyondTheLimit) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir dir;
  import_fixture_models(dir.path());
  RunningServer server(dir.path(), [](ServerConfig& c) { c.max_loaded_models = 2; });
  auto c = server.client();
  for (const char* m : {"stories", "llama", "qwen"}) {
    auto r = post_json(*c, "/api/generate", {{"model", m}});
    ASSERT_EQ(r.status, 200) << r.raw;
  }
  EXPECT_EQ(loaded(*c), (std::set<std::string>{"llama:latest", "qwen:latest"})) << get_json(*c, "/api/ps").raw;
}

TEST(Scheduling, KeepAliveExpiryUnloads) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir dir;
  import_fixture_models(dir.path());
  RunningServer server(dir.path());
  auto c = server.client();
  ASSERT_EQ(post_json(*c, "/api/generate", {{"model", "stories"}, {"keep_alive", "300ms"}}).status, 200);
  ASSERT_EQ(post_json(*c, "/api/generate", {{"model", "llama"}, {"keep_alive", -1}}).status, 200);
  EXPECT_EQ(loaded(*c).size(), 2u);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(loaded(*c), std::set<std::string>{"llama:latest"});
  const auto ps = get_json(*c, "/api/ps");
  EXPECT_TRUE(ps.body["models"][0]["expires_at"].get<std::string>().starts_with("2318"));
}

}  // namespace
}  // namespace airlock::server::testing
