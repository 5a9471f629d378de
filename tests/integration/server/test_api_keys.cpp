// Scoped API keys through the real server: every registered route answered for an inference key
// (403 exactly on model management) and an admin key (never 403), the plain api_key_file's keys
// as admin, revocation taking effect without a restart, a bad keys file line named, and per-key
// rate limits answered 429 with Retry-After.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "server/api_keys.h"
#include "server_harness.h"
#include "support/cli_runner.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

struct Route {
  std::string method, pattern;  // as registered
  std::string path;             // a concrete path for it
  bool management;
};

// Every route the server registers (RouteTableIsComplete checks this list against the sources).
const std::vector<Route> kRoutes = {
    {"GET", "/", "/", false},
    {"GET", "/assets/.+", "/assets/x.js", false},
    {"GET", "/api/version", "/api/version", false},
    {"GET", "/health", "/health", false},
    {"GET", "/metrics", "/metrics", false},
    {"POST", "/api/generate", "/api/generate", false},
    {"POST", "/api/chat", "/api/chat", false},
    {"POST", "/api/embed", "/api/embed", false},
    {"POST", "/api/embeddings", "/api/embeddings", false},
    {"POST", "/api/tokenize", "/api/tokenize", false},
    {"POST", "/api/detokenize", "/api/detokenize", false},
    {"GET", "/api/ps", "/api/ps", false},
    {"POST", "/v1/chat/completions", "/v1/chat/completions", false},
    {"POST", "/v1/completions", "/v1/completions", false},
    {"POST", "/v1/embeddings", "/v1/embeddings", false},
    {"GET", "/v1/models", "/v1/models", false},
    {"GET", "/v1/models/(.+)", "/v1/models/stories", false},
    {"GET", "/api/tags", "/api/tags", false},
    {"POST", "/api/show", "/api/show", false},
    {"POST", "/api/copy", "/api/copy", true},
    {"DELETE", "/api/delete", "/api/delete", true},
    {"POST", "/api/create", "/api/create", true},
    {"POST", "/api/pull", "/api/pull", true},
    {"POST", "/api/push", "/api/push", true},
    {"GET", "/api/blobs/([^/]+)", "/api/blobs/sha256:00", false},
    {"POST", "/api/blobs/([^/]+)", "/api/blobs/sha256:00", true},
    {"GET", "/api/rag/collections", "/api/rag/collections", false},
    {"POST", "/api/rag/collections", "/api/rag/collections", true},
    {"DELETE", "/api/rag/collections/([^/]+)", "/api/rag/collections/docs", true},
    {"POST", "/api/rag/collections/([^/]+)/documents", "/api/rag/collections/docs/documents", true},
    {"POST", "/api/rag/collections/([^/]+)/ingest", "/api/rag/collections/docs/ingest", true},
    {"POST", "/api/rag/query", "/api/rag/query", false},
    {"POST", "/api/rag/chat", "/api/rag/chat", false},
    {"POST", "/api/history", "/api/history", false},
    {"POST", "/api/rollback", "/api/rollback", true},
    {"GET", "/api/status", "/api/status", false},
    {"POST", "/v1/responses", "/v1/responses", false},
    {"POST", "/v1/messages", "/v1/messages", false},
    {"POST", "/v1/messages/count_tokens", "/v1/messages/count_tokens", false},
};

TEST(ApiKeys, RouteTableIsComplete) {
  // Routes registered with a literal pattern in src/server; pull and push are registered in a loop.
  const std::regex reg(R"re(\.(Get|Post|Delete|Put|Patch|Head)\(\s*(?:R"\()?"([^"]*))re");
  std::set<std::string> known;
  for (const auto& r : kRoutes) known.insert(r.method + " " + r.pattern);
  int found = 0;
  for (const auto& e : std::filesystem::directory_iterator(AIRLOCK_SOURCE_DIR "/src/server")) {
    std::ifstream in(e.path());
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    for (std::sregex_iterator it(text.begin(), text.end(), reg), end; it != end; ++it) {
      std::string method = (*it)[1];
      for (auto& ch : method) ch = static_cast<char>(std::toupper(ch));
      std::string pattern = (*it)[2];
      if (!pattern.empty() && pattern.back() == ')' && pattern.find('(') == std::string::npos) pattern.pop_back();
      EXPECT_TRUE(known.count(method + " " + pattern)) << method << " " << pattern << " in " << e.path()
                                                       << ": add it to kRoutes with its scope";
      ++found;
    }
  }
  EXPECT_GE(found, 20);
}

class ScopedKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    AIRLOCK_REQUIRE_FIXTURES();
    import_fixture_models(store_.path());
    write_keys_file(store_.path() / "api-keys", {{"app", Scope::Inference, key_hash(kInference), "2026-01-01T00:00:00Z"},
                                                 {"ops", Scope::Admin, key_hash(kAdmin), "2026-01-01T00:00:00Z"}});
  }
  void start(const std::function<void(ServerConfig&)>& more = {}) {
    server_ = std::make_unique<RunningServer>(store_.path(), [&](ServerConfig& c) {
      c.api_keys = {"plain-key-0123456789"};
      if (more) more(c);
    });
  }
  httplib::Result call(const Route& r, const std::string& key) {
    auto c = server_->client();
    httplib::Headers h = {{"Authorization", "Bearer " + key}};
    const std::string body = r.path == "/api/copy" ? json{{"source", "stories"}, {"destination", "x"}}.dump() : "{}";
    if (r.method == "GET") return c->Get(r.path, h);
    if (r.method == "DELETE") return c->Delete(r.path, h, json{{"model", "nothing-here"}}.dump(), "application/json");
    return c->Post(r.path, h, body, "application/json");
  }
  static constexpr const char* kInference = "al-inference-key-0123456789abcdef";
  static constexpr const char* kAdmin = "al-admin-key-0123456789abcdef0123";
  TempDir store_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(ScopedKeys, InferenceKeysAreRefusedExactlyOnManagementRoutes) {
  start();
  for (const auto& r : kRoutes) {
    auto res = call(r, kInference);
    ASSERT_TRUE(res) << r.method << " " << r.path;
    if (r.management) {
      EXPECT_EQ(res->status, 403) << r.method << " " << r.path;
      EXPECT_NE(res->body.find("scope inference"), std::string::npos) << res->body;
    } else {
      EXPECT_NE(res->status, 403) << r.method << " " << r.path;
      EXPECT_NE(res->status, 401) << r.method << " " << r.path;
    }
  }
  EXPECT_TRUE(get_json(*server_->client(), "/api/tags").status == 401);
}

TEST_F(ScopedKeys, AdminAndPlainKeysMayUseEveryRoute) {
  start();
  for (const char* key : {kAdmin, "plain-key-0123456789"})
    for (const auto& r : kRoutes) {
      auto res = call(r, key);
      ASSERT_TRUE(res) << r.method << " " << r.path;
      EXPECT_NE(res->status, 403) << key << " " << r.method << " " << r.path;
      EXPECT_NE(res->status, 401) << key << " " << r.method << " " << r.path;
    }
  EXPECT_EQ(get_json(*server_->client(), "/api/tags").status, 401);
}

TEST_F(ScopedKeys, RevocationTakesEffectWithoutARestart) {
  start();
  EXPECT_EQ(call(kRoutes[2], kInference)->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a new mtime for the rewritten file
  write_keys_file(store_.path() / "api-keys", {{"ops", Scope::Admin, key_hash(kAdmin), "2026-01-01T00:00:00Z"}});
  EXPECT_EQ(call(kRoutes[2], kInference)->status, 401);
  EXPECT_EQ(call(kRoutes[2], kAdmin)->status, 200);
}

TEST_F(ScopedKeys, BadKeysFileLineIsNamed) {
  std::ofstream(store_.path() / "api-keys") << "# keys\nops admin 1234 2026\n";
  try {
    read_keys_file(store_.path() / "api-keys");
    FAIL() << "a bad line was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("api-keys line 2: the hash is not 64 lowercase hex digits"), std::string::npos) << e.what();
  }
  std::ofstream(store_.path() / "api-keys") << "ops superuser " << std::string(64, 'a') << " 2026\n";
  EXPECT_THROW(read_keys_file(store_.path() / "api-keys"), Error);
}

TEST_F(ScopedKeys, RequestRateLimitAnswers429WithRetryAfter) {
  start([](ServerConfig& c) { c.rate_limit_rpm = 3; });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call(kRoutes[2], kInference)->status, 200) << i;
  auto limited = call(kRoutes[2], kInference);
  EXPECT_EQ(limited->status, 429);
  const int retry = std::stoi(limited->get_header_value("Retry-After"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 20);  // a third of a minute buys one request back
  EXPECT_EQ(call(kRoutes[2], kAdmin)->status, 200);  // limits are per key
}

TEST_F(ScopedKeys, TokenRateLimitCountsPromptAndGeneratedTokens) {
  start([](ServerConfig& c) { c.rate_limit_tpm = 20; });
  auto c = server_->client();
  c->set_default_headers({{"Authorization", std::string("Bearer ") + kInference}});
  auto first = post_json(*c, "/api/generate", {{"model", "stories"}, {"prompt", "Once upon a time"}, {"stream", false},
                                               {"options", {{"num_predict", 30}}}});
  ASSERT_EQ(first.status, 200) << first.raw;
  auto second = c->Get("/api/version");
  EXPECT_EQ(second->status, 429);
  EXPECT_GE(std::stoi(second->get_header_value("Retry-After")), 1);
}

TEST_F(ScopedKeys, CliAddsListsAndRevokesBesideTheSigningKeyCommands) {
  start();
  using cli_runner::quote;
  const std::string env = "HOME=" + quote(store_.path().string()) + " AIRLOCK_MODELS=" + quote(store_.path().string()) + " ";
  auto added = cli_runner::run(env + AIRLOCK_BINARY " keys add web --scope inference", false);
  ASSERT_EQ(added.status, 0) << added.out;
  const std::string key = added.out.substr(0, added.out.find('\n'));
  EXPECT_EQ(key.rfind("al-", 0), 0u);
  EXPECT_EQ(key.size(), 51u);
  std::ifstream in(store_.path() / "api-keys");
  const std::string file((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(file.find(key), std::string::npos);  // only its hash
  EXPECT_NE(file.find(key_hash(key)), std::string::npos);
  EXPECT_EQ(std::filesystem::status(store_.path() / "api-keys").permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  EXPECT_EQ(call(kRoutes[2], key)->status, 200);
  EXPECT_EQ(call(kRoutes[19], key)->status, 403);  // /api/copy
  EXPECT_NE(cli_runner::run(env + AIRLOCK_BINARY " keys add web", true).status, 0);
  EXPECT_NE(cli_runner::run(env + AIRLOCK_BINARY " keys add 'bad name'", true).status, 0);
  EXPECT_NE(cli_runner::run(env + AIRLOCK_BINARY " keys add x --scope root", true).status, 0);
  const auto ls = cli_runner::run(env + AIRLOCK_BINARY " keys ls", false);
  EXPECT_NE(ls.out.find("web"), std::string::npos);
  EXPECT_NE(ls.out.find("inference"), std::string::npos);
  EXPECT_EQ(cli_runner::run(env + AIRLOCK_BINARY " keys list", false).status, 0);  // signing keys, as before
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(cli_runner::run(env + AIRLOCK_BINARY " keys revoke web", false).status, 0);
  EXPECT_EQ(call(kRoutes[2], key)->status, 401);
  EXPECT_NE(cli_runner::run(env + AIRLOCK_BINARY " keys revoke web", true).status, 0);
}

}  // namespace
}  // namespace airlock::server::testing
