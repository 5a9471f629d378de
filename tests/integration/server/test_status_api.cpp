// GET /api/status: the settings the server runs with (audit and content mode, read-only,
// lock-down, TLS, keys) and, per loaded model, the slots a running request holds.
#include <gtest/gtest.h>

#include "server_harness.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

TEST(StatusApi, ReportsSettingsAsConfigured) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir store, audit;
  import_fixture_models(store.path());
  {
    RunningServer plain(store.path());
    const JsonReply s = get_json(*plain.client(), "/api/status");
    ASSERT_EQ(s.status, 200) << s.raw;
    EXPECT_EQ(s.body["audit"], json({{"enabled", false}}));
    EXPECT_FALSE(s.body["read_only"].get<bool>());
    EXPECT_FALSE(s.body["lockdown"].get<bool>());
    EXPECT_FALSE(s.body["tls"].get<bool>());
    EXPECT_FALSE(s.body["keys_required"].get<bool>());
    EXPECT_EQ(s.body["models"], json::array());
  }
  RunningServer audited(store.path(), [&](ServerConfig& c) {
    c.read_only = true;
    c.audit_dir = audit.path();
    c.audit_content = "hash";
    c.api_keys = {"plain-key-0123456789"};
    c.num_parallel = 3;
  });
  auto client = audited.client();
  client->set_bearer_token_auth("plain-key-0123456789");
  const JsonReply s = get_json(*client, "/api/status");
  ASSERT_EQ(s.status, 200) << s.raw;
  EXPECT_EQ(s.body["audit"], json({{"enabled", true}, {"content", "hash"}, {"required", true}, {"signed", false}}));
  EXPECT_TRUE(s.body["read_only"].get<bool>());
  EXPECT_TRUE(s.body["keys_required"].get<bool>());
  EXPECT_EQ(s.body["num_parallel"], 3);
  EXPECT_EQ(s.body.dump().find(audit.path().string()), std::string::npos) << "paths stay out: " << s.raw;
  EXPECT_EQ(get_json(*audited.client(), "/api/status").status, 401);  // no key, no status
}

TEST(StatusApi, CountsTheSlotARunningRequestHolds) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir store;
  import_fixture_models(store.path());
  RunningServer server(store.path(), [](ServerConfig& c) { c.num_parallel = 2; });
  auto streaming = server.client();
  auto observer = server.client();
  json during;
  const StreamReply r = post_stream(*streaming, "/api/generate",
                                    {{"model", "llama"}, {"prompt", "Once"}, {"options", {{"num_predict", 200}}}},
                                    [&](const std::string&) {
                                      during = get_json(*observer, "/api/status").body;
                                      return false;  // seen it once: drop the stream
                                    });
  ASSERT_TRUE(during.is_object()) << r.body;
  ASSERT_EQ(during["models"].size(), 1u) << during.dump();
  EXPECT_EQ(during["models"][0]["name"], "llama:latest");
  EXPECT_EQ(during["models"][0]["slots"], 2);
  EXPECT_EQ(during["models"][0]["busy"], 1);
  EXPECT_EQ(during["models"][0]["queued"], 0);
  EXPECT_FALSE(during["models"][0]["embedding"].get<bool>());
}

}  // namespace
}  // namespace airlock::server::testing
