// The embedded web UI: browsers get the page with a strict CSP, other clients the liveness text;
// assets are served gzipped (or unpacked for clients that do not take gzip) and need no API key,
// while the API behind them still does.
#include <gtest/gtest.h>

#include <regex>

#include "server_harness.h"

namespace airlock::server::testing {
namespace {

// The bundle's script, as index.html names it.
std::string script_path(const std::string& html) {
  std::smatch m;
  if (!std::regex_search(html, m, std::regex(R"re(src="(/assets/[^"]+\.js)")re"))) return "";
  return m[1];
}

TEST(WebUi, BrowsersGetThePageOtherClientsTheLivenessText) {
  TempDir dir;
  RunningServer server(dir.path());
  auto c = server.client();
  EXPECT_EQ(c->Get("/")->body, "airlock is running");

  auto page = c->Get("/", {{"Accept", "text/html,application/xhtml+xml"}, {"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  const std::string csp = page->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_NE(page->body.find("<div id=\"app\">"), std::string::npos);  // unpacked by the client

  const std::string js = script_path(page->body);
  ASSERT_FALSE(js.empty()) << page->body;
  auto gz = c->Get(js, {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 200);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(gz->get_header_value("Cache-Control").find("immutable"), std::string::npos);
  auto plain = c->Get(js, {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->get_header_value("Content-Encoding"), "");
  EXPECT_GT(plain->body.size(), 1000u);
  EXPECT_EQ(plain->body, gz->body);

  EXPECT_EQ(c->Get("/assets/missing.js")->status, 404);
}

TEST(WebUi, PageAndAssetsNeedNoKeyTheApiStillDoes) {
  TempDir dir;
  RunningServer server(dir.path(), [](ServerConfig& c) { c.api_keys = {"s3cret"}; });
  auto c = server.client();
  auto page = c->Get("/", {{"Accept", "text/html"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  const std::string js = script_path(page->body);
  ASSERT_FALSE(js.empty());
  EXPECT_EQ(c->Get(js)->status, 200);
  EXPECT_EQ(c->Get("/assets/missing.js")->status, 404);  // open path, still no such file
  EXPECT_EQ(c->Get("/api/tags")->status, 401);
  EXPECT_EQ(c->Get("/metrics")->status, 401);
}

}  // namespace
}  // namespace airlock::server::testing
