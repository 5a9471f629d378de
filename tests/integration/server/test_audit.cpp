// The audit trail through the real server: one record per request with who, what, which model
// (its manifest digest as /api/tags reports it), the prompt and answer as audit_content says,
// admin records for management requests and CLI commands, verify catching an edit, and
// audit_required refusing requests with 503 while records cannot be written.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "audit/chain.h"
#include "audit/segments.h"
#include "audit/verify.h"
#include "server_harness.h"
#include "support/cli_runner.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

std::vector<json> records(const std::filesystem::path& dir) {
  std::vector<json> out;
  for (const auto& [n, p] : audit::list_segments(dir).segments) {
    std::ifstream in(p);
    for (std::string l; std::getline(in, l);) out.push_back(json::parse(l));
  }
  return out;
}

const json* find(const std::vector<json>& rs, const std::string& request_id) {
  for (const auto& r : rs)
    if (r.value("request_id", "") == request_id) return &r;
  return nullptr;
}

class AuditServer : public ::testing::Test {
 protected:
  void SetUp() override {
    AIRLOCK_REQUIRE_FIXTURES();
    import_fixture_models(store_.path());
  }
  void start(const std::string& content) {
    server_ = std::make_unique<RunningServer>(store_.path(), [&](ServerConfig& c) {
      c.audit_dir = audit_.path();
      c.audit_content = content;
      c.api_keys = {"0123456789abcdef-first", "0123456789abcdef-second"};
    });
    client_ = server_->client();
    client_->set_default_headers({{"Authorization", "Bearer 0123456789abcdef-second"}});
  }
  std::string stories_digest() {
    const json tags = get_json(*client_, "/api/tags").body;
    for (const auto& m : tags["models"])
      if (m["name"] == "stories:latest" || m["name"] == "stories") return "sha256:" + m["digest"].get<std::string>();
    return "";
  }
  TempDir store_, audit_;
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

const json kGenerate = {{"model", "stories"}, {"prompt", "Once upon a time"}, {"stream", false},
                        {"options", {{"num_predict", 8}, {"seed", 3}, {"temperature", 0}}}};

TEST_F(AuditServer, FullContentRecordsPromptAnswerKeyAndDigest) {
  start("full");
  auto r = client_->Post("/api/generate", kGenerate.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string id = r->get_header_value("X-Request-Id");
  const json answer = json::parse(r->body);
  // A streamed chat: the answer is assembled from the streamed pieces.
  auto chat = post_stream(*client_, "/api/chat",
                          {{"model", "stories"}, {"messages", {{{"role", "user"}, {"content", "Hello"}}}}, {"options", {{"num_predict", 6}}}});
  ASSERT_EQ(chat.status, 200);
  std::string chat_text;
  for (const auto& l : ndjson_lines(chat.body)) chat_text += l["message"]["content"].get<std::string>();
  const std::string digest = stories_digest();
  server_.reset();  // the records are complete once the server stops

  const auto rs = records(audit_.path());
  ASSERT_GE(rs.size(), 5u);  // start, generate, chat, tags, stop
  EXPECT_EQ(rs.front()["type"], "server_start");
  EXPECT_EQ(rs.back()["type"], "server_stop");
  const json* g = find(rs, id);
  ASSERT_NE(g, nullptr) << id;
  EXPECT_EQ((*g)["type"], "request");
  EXPECT_EQ((*g)["route"], "/api/generate");
  EXPECT_EQ((*g)["key"], "key-file:2");  // the name, never the key
  EXPECT_EQ((*g)["status"], 200);
  EXPECT_EQ((*g)["model"], "stories");
  EXPECT_EQ((*g)["model_digest"], digest);
  EXPECT_EQ((*g)["input"]["prompt"], "Once upon a time");
  EXPECT_EQ((*g)["options"]["options"]["num_predict"], 8);
  EXPECT_EQ((*g)["output"], answer["response"]);
  EXPECT_EQ((*g)["eval_tokens"], answer["eval_count"]);
  EXPECT_EQ((*g)["prompt_tokens"], answer["prompt_eval_count"]);
  EXPECT_EQ((*g)["client"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
  bool saw_chat = false;
  for (const auto& rec : rs)
    if (rec.value("route", "") == "/api/chat") {
      saw_chat = true;
      EXPECT_EQ(rec["output"], chat_text);
      EXPECT_EQ(rec["input"]["messages"][0]["content"], "Hello");
    }
  EXPECT_TRUE(saw_chat);
  std::ifstream in(audit::segment_path(audit_.path(), 1));
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text.find("0123456789abcdef"), std::string::npos);  // no key in the trail

  const audit::VerifyReport ok = audit::verify(audit_.path());
  EXPECT_TRUE(ok.ok) << ok.first_bad;
  // An edit of the answer is named at its record.
  std::string edited = text;
  const std::string answer_json = json(answer["response"]).dump();
  const auto at = edited.find("\"output\":" + answer_json);
  ASSERT_NE(at, std::string::npos);
  edited.insert(at + 10, "X");
  std::ofstream(audit::segment_path(audit_.path(), 1), std::ios::trunc) << edited;
  const audit::VerifyReport bad = audit::verify(audit_.path());
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.first_bad.find("(seq " + (*g)["seq"].dump() + "): its content does not match its hash"), std::string::npos)
      << bad.first_bad;
}

TEST_F(AuditServer, HashContentKeepsOnlyDigests) {
  start("hash");
  auto r = client_->Post("/api/generate", kGenerate.dump(), "application/json");
  ASSERT_EQ(r->status, 200);
  const std::string id = r->get_header_value("X-Request-Id");
  const std::string response = json::parse(r->body)["response"];
  server_.reset();
  const auto rs = records(audit_.path());
  const json* g = find(rs, id);
  ASSERT_NE(g, nullptr);
  EXPECT_FALSE(g->contains("input"));
  EXPECT_FALSE(g->contains("output"));
  EXPECT_EQ((*g)["output_sha256"], audit::sha256_hex(response));
  EXPECT_EQ((*g)["input_sha256"], audit::sha256_hex(json{{"prompt", "Once upon a time"}}.dump()));
  std::ifstream in(audit::segment_path(audit_.path(), 1));
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text.find("Once upon a time"), std::string::npos);
}

TEST_F(AuditServer, NoneContentKeepsNeitherButStillTheFacts) {
  start("none");
  auto r = client_->Post("/api/generate", kGenerate.dump(), "application/json");
  ASSERT_EQ(r->status, 200);
  const std::string id = r->get_header_value("X-Request-Id");
  server_.reset();
  const json* g = nullptr;
  const auto rs = records(audit_.path());
  g = find(rs, id);
  ASSERT_NE(g, nullptr);
  for (const char* k : {"input", "output", "input_sha256", "output_sha256"}) EXPECT_FALSE(g->contains(k)) << k;
  EXPECT_EQ((*g)["eval_tokens"], 8);
  EXPECT_EQ((*g)["model"], "stories");
}

TEST_F(AuditServer, ManagementRequestsAreAdminRecords) {
  start("full");
  auto cp = post_json(*client_, "/api/copy", {{"source", "stories"}, {"destination", "copied"}});
  ASSERT_EQ(cp.status, 200) << cp.raw;
  auto made = post_json(*client_, "/api/create", {{"model", "copied"}, {"from", "stories"}, {"system", "Brief."}, {"stream", false}});
  ASSERT_EQ(made.status, 200) << made.raw;
  auto back = post_json(*client_, "/api/rollback", {{"model", "copied"}});
  ASSERT_EQ(back.status, 200) << back.raw;
  auto del = client_->Delete("/api/delete", json{{"model", "copied"}}.dump(), "application/json");
  ASSERT_EQ(del->status, 200);
  auto unauth = server_->client()->Get("/api/tags");  // no key: 401, recorded too
  EXPECT_EQ(unauth->status, 401);
  server_.reset();
  const auto rs = records(audit_.path());
  std::vector<std::string> actions;
  for (const auto& r : rs)
    if (r["type"] == "admin") {
      actions.push_back(r["action"]);
      EXPECT_EQ(r["key"], "key-file:2");
    }
  EXPECT_EQ(actions, (std::vector<std::string>{"copy", "create", "rollback", "delete"}));
  bool saw_401 = false;
  for (const auto& r : rs) saw_401 |= r.value("status", 0) == 401 && r["key"].is_null();
  EXPECT_TRUE(saw_401);
  EXPECT_TRUE(audit::verify(audit_.path()).ok);
}

TEST_F(AuditServer, RequiredAuditRefusesRequestsItCannotRecord) {
  start("full");
  auto first = client_->Get("/api/tags");
  ASSERT_EQ(first->status, 200);
  const auto seg = audit::segment_path(audit_.path(), 1);
  // Records are written after the answer: wait for this one before limiting the file.
  const std::string first_id = first->get_header_value("X-Request-Id");
  auto recorded = [&] {
    std::ifstream in(seg);
    return std::string((std::istreambuf_iterator<char>(in)), {}).find(first_id) != std::string::npos;
  };
  for (int i = 0; i < 250 && !recorded(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(recorded());
  // A file size limit makes the next record's write fail, as a full disk does.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ::getrlimit(RLIMIT_FSIZE, &old);
  rlimit lim = old;
  lim.rlim_cur = std::filesystem::file_size(seg) + 10;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  // The request whose record fails was answered already (records are written after the answer),
  // and so may be one racing with it; from then on requests are refused.
  EXPECT_EQ(get_json(*client_, "/api/tags").status, 200);
  JsonReply refused;
  for (int i = 0; i < 50; ++i) {
    refused = post_json(*client_, "/api/generate", kGenerate);
    if (refused.status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.raw.find("audit trail cannot be written"), std::string::npos);
  EXPECT_EQ(client_->Post("/api/generate", kGenerate.dump(), "application/json")->status, 503);
  ::setrlimit(RLIMIT_FSIZE, &old);
  auto again = client_->Post("/api/generate", kGenerate.dump(), "application/json");
  EXPECT_EQ(again->status, 200);
  server_.reset();
  const auto rs = records(audit_.path());
  bool gap = false;
  for (const auto& r : rs) gap |= r["type"] == "audit_gap" && r["lost_records"].get<int>() >= 1;
  EXPECT_TRUE(gap);
  EXPECT_TRUE(audit::verify(audit_.path()).ok) << audit::verify(audit_.path()).first_bad;
}

TEST_F(AuditServer, CliAdminActionsJoinTheServersChain) {
  start("full");
  ASSERT_EQ(get_json(*client_, "/api/tags").status, 200);
  using cli_runner::quote;
  const std::string env = "HOME=" + quote(audit_.path().string()) + " AIRLOCK_MODELS=" + quote(store_.path().string()) +
                          " AIRLOCK_AUDIT=" + quote(audit_.path().string()) + " ";
  auto r = cli_runner::run(env + AIRLOCK_BINARY " cp stories cli-copy", true);
  ASSERT_EQ(r.status, 0) << r.out;
  r = cli_runner::run(env + AIRLOCK_BINARY " rm cli-copy", true);
  ASSERT_EQ(r.status, 0) << r.out;
  ASSERT_EQ(get_json(*client_, "/api/tags").status, 200);  // the server follows the CLI's records
  server_.reset();
  std::vector<std::string> actions;
  for (const auto& rec : records(audit_.path()))
    if (rec["type"] == "admin" && rec.value("via", "") == "cli") actions.push_back(rec["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"cp", "rm"}));
  const auto v = audit::verify(audit_.path());
  EXPECT_TRUE(v.ok) << v.first_bad;
  r = cli_runner::run(env + AIRLOCK_BINARY " audit verify", true);
  EXPECT_EQ(r.status, 0) << r.out;
  r = cli_runner::run(env + AIRLOCK_BINARY " audit search --type admin", true);
  EXPECT_NE(r.out.find("\"action\":\"rm\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace airlock::server::testing
