// An airlock server running in this test process on a free loopback port, over a temporary store
// holding the fixture models: llama (llama-spm-q8_0), qwen (qwen2-gpt2-q4_k_m), bge
// (bert-bge-f16) and stories (stories260K). Clients are cpp-httplib's.
#pragma once
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/config.h"
#include "server/http_server.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

namespace airlock::server::testing {

using TempDir = test_support::TempDir;

// Imports the fixture models into `dir` (once per directory).
void import_fixture_models(const std::filesystem::path& dir);

// Writes a GGUF copy of `from` whose chat template is `template_source` (the fixture models carry
// none, so they chat through the ChatML fallback).
void write_with_template(const std::filesystem::path& from, const std::filesystem::path& to,
                         const std::string& template_source);

class RunningServer {
 public:
  // `adjust` may change the config (store dir and port 0 are set already); `log` receives the
  // request log lines.
  explicit RunningServer(const std::filesystem::path& store_dir,
                         const std::function<void(ServerConfig&)>& adjust = {}, std::FILE* log = nullptr);
  ~RunningServer();
  int port() const { return port_; }
  std::unique_ptr<httplib::Client> client() const;

 private:
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
};

// POST a JSON body; returns status and parsed body (null when the body is not JSON).
struct JsonReply {
  int status = 0;
  nlohmann::json body;
  std::string raw;
  std::string content_type;
};
JsonReply post_json(httplib::Client& c, const std::string& path, const nlohmann::json& body);
// The same with the body's key order kept (nlohmann::json sorts keys; chat templates see the order).
JsonReply post_ordered(httplib::Client& c, const std::string& path, const nlohmann::ordered_json& body);
JsonReply get_json(httplib::Client& c, const std::string& path);

// POST and collect the streamed body chunk by chunk; `on_chunk` returning false drops the
// connection (a client going away).
struct StreamReply {
  int status = 0;
  std::string body;
  std::string content_type;
  bool completed = false;
};
StreamReply post_stream(httplib::Client& c, const std::string& path, const nlohmann::json& body,
                        const std::function<bool(const std::string& chunk)>& on_chunk = {});

// NDJSON lines / SSE "data:" payloads of a streamed body.
std::vector<nlohmann::json> ndjson_lines(const std::string& body);
std::vector<std::string> sse_payloads(const std::string& body);

// The reference greedy continuation of a fixture model's case, as text (the fixture's token ids
// rendered by the tokenizer, which has its own tests against the reference), cut before the first
// step whose top two reference logits are within 0.1 of each other.
struct GreedyCase {
  std::string prompt;
  size_t prompt_tokens = 0;
  std::vector<int32_t> greedy;
  std::string text;
};
GreedyCase greedy_case(const std::string& fixture, size_t index);

// A test suite sharing one server over the fixture models (imported once per suite); each test
// gets its own client. Suite is the deriving class, so every suite has its own server.
template <typename Suite>
class FixtureServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fixtures::present()) return;
    dir_ = new TempDir();
    import_fixture_models(dir_->path());
    server_ = new RunningServer(dir_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    AIRLOCK_REQUIRE_FIXTURES();
    client_ = server_->client();
  }

  static inline TempDir* dir_ = nullptr;
  static inline RunningServer* server_ = nullptr;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace airlock::server::testing
