// API keys (Bearer or X-API-Key) once configured, and CORS: localhost origins allowed by default,
// configured ones added, others refused.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include "server_harness.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

TEST(Security, ApiKeysRequiredOnceConfigured) {
  TempDir dir;
  RunningServer server(dir.path(), [](ServerConfig& c) { c.api_keys = {"s3cret", "other"}; });
  auto c = server.client();
  EXPECT_EQ(c->Get("/")->status, 200);  // liveness stays open
  auto no_key = get_json(*c, "/api/tags");
  EXPECT_EQ(no_key.status, 401);
  EXPECT_TRUE(no_key.body["error"].is_string());
  auto openai = get_json(*c, "/v1/models");
  EXPECT_EQ(openai.status, 401);
  EXPECT_EQ(openai.body["error"]["type"], "authentication_error");
  EXPECT_EQ(c->Get("/api/tags", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(c->Get("/api/tags", {{"Authorization", "Bearer s3cre"}})->status, 401);
  EXPECT_EQ(c->Get("/api/tags", {{"Authorization", "Bearer s3cret"}})->status, 200);
  EXPECT_EQ(c->Get("/api/tags", {{"X-API-Key", "other"}})->status, 200);
}

TEST(Security, CorsAllowsLocalAndConfiguredOrigins) {
  TempDir dir;
  RunningServer server(dir.path(), [](ServerConfig& c) { c.cors_origins = {"https://app.example"}; });
  auto c = server.client();
  for (const char* origin : {"http://localhost:3000", "http://127.0.0.1", "https://app.example"}) {
    auto r = c->Get("/api/version", {{"Origin", origin}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << origin;
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), origin);
  }
  for (const char* origin : {"http://evil.example", "http://localhost.evil.example", "http://localhost:80x"}) {
    auto r = c->Get("/api/version", {{"Origin", origin}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << origin;
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "");
  }
  auto pre = c->Options("/api/chat", {{"Origin", "http://localhost:5173"},
                                       {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  auto plain = c->Get("/api/version");  // no Origin: not a browser, nothing to check
  EXPECT_EQ(plain->status, 200);
}

TEST(Security, NonLoopbackBindRefusedWithoutKeys) {
  ServerConfig c;
  c.host = "0.0.0.0";
  c.port = 0;
  TempDir dir;
  c.models_dir = dir.path();
  EXPECT_THROW(HttpServer(c, nullptr), Error);
}

}  // namespace
}  // namespace airlock::server::testing
