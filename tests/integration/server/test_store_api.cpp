// Model-store routes over HTTP: show, copy, delete, blob upload checked against its digest,
// create from an uploaded blob or a Modelfile, and the refused pull/push.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gguf/gguf.h"
#include "server_harness.h"
#include "tensor/thread_pool.h"
#include "store/store.h"
#include "server/runner.h"
#include "server/prompt.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

class StoreApi : public ::testing::Test {
 protected:
  void SetUp() override {
    AIRLOCK_REQUIRE_FIXTURES();
    dir_ = std::make_unique<TempDir>();
    import_fixture_models(dir_->path());
    server_ = std::make_unique<RunningServer>(dir_->path());
    client_ = server_->client();
  }
  std::set<std::string> names() {
    std::set<std::string> out;
    const JsonReply tags = get_json(*client_, "/api/tags");  // named: the loop must not outlive it
    for (const auto& m : tags.body["models"]) out.insert(m["name"].get<std::string>());
    return out;
  }
  // The fixture's published digest (SHA256SUMS), so the check does not rest on our hashing.
  static std::string published_digest(const std::string& file) {
    std::istringstream in(fixtures::read_file(fixtures::dir() / "SHA256SUMS"));
    std::string hex, name;
    while (in >> hex >> name)
      if (name.ends_with(file)) return "sha256:" + hex;
    return "";
  }
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(StoreApi, ShowReportsDetailsAndMetadata) {
  auto r = post_json(*client_, "/api/show", {{"model", "llama"}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["details"]["family"], "llama");
  EXPECT_EQ(r.body["details"]["format"], "gguf");
  EXPECT_EQ(r.body["model_info"]["general.architecture"], "llama");
  EXPECT_EQ(r.body["model_info"]["llama.embedding_length"], 256);
  EXPECT_EQ(r.body["model_info"]["llama.block_count"], 2);
  EXPECT_TRUE(r.body["model_info"]["tokenizer.ggml.tokens"].is_null());  // only with verbose
  uint64_t parameters = 0;  // every tensor's elements, counted here from the shapes
  for (const auto& t : gguf::File::open(fixtures::dir() / "models" / "llama-spm-q8_0.gguf")->tensors()) {
    uint64_t n = 1;
    for (uint32_t d = 0; d < t.n_dims; ++d) n *= static_cast<uint64_t>(t.ne[d]);
    parameters += n;
  }
  EXPECT_EQ(r.body["model_info"]["general.parameter_count"], parameters);
  auto verbose = post_json(*client_, "/api/show", {{"model", "llama"}, {"verbose", true}});
  EXPECT_TRUE(verbose.body["model_info"]["tokenizer.ggml.tokens"].is_array()) << verbose.raw.substr(0, 200);
  EXPECT_NE(r.body["modelfile"].get<std::string>().find("FROM "), std::string::npos);
  auto missing = post_json(*client_, "/api/show", {{"model", "ghost"}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"], "model 'ghost:latest' not found");
}

TEST_F(StoreApi, CopyThenDelete) {
  auto c = post_json(*client_, "/api/copy", {{"source", "stories"}, {"destination", "tales:v1"}});
  EXPECT_EQ(c.status, 200) << c.raw;
  EXPECT_TRUE(names().count("tales:v1")) << get_json(*client_, "/api/tags").raw;
  auto gen = post_json(*client_, "/api/generate",
                       {{"model", "tales:v1"}, {"prompt", "Once"}, {"raw", true}, {"stream", false},
                        {"options", {{"num_predict", 2}}}});
  EXPECT_EQ(gen.status, 200) << gen.raw;
  auto res = client_->Delete("/api/delete", json{{"model", "tales:v1"}}.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_FALSE(names().count("tales:v1"));
  res = client_->Delete("/api/delete", json{{"model", "tales:v1"}}.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  auto bad_copy = post_json(*client_, "/api/copy", {{"source", "ghost"}, {"destination", "x"}});
  EXPECT_EQ(bad_copy.status, 404);
}

TEST_F(StoreApi, BlobUploadCheckedAndCreateFromIt) {
  // A fixture that is not in the store yet.
  const std::string digest = published_digest("llama-spm-q4_0.gguf");
  ASSERT_FALSE(digest.empty());
  const std::string bytes = fixtures::read_file(fixtures::dir() / "models" / "llama-spm-q4_0.gguf");
  // Bytes that do not hash to the digest: refused, nothing stored.
  const std::string other = published_digest("llama-spm-q2_k.gguf");
  auto wrong = client_->Post(("/api/blobs/" + other).c_str(), bytes.substr(0, 1000), "application/octet-stream");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 400) << wrong->body;
  EXPECT_EQ(client_->Head(("/api/blobs/" + other).c_str())->status, 404);
  auto malformed = client_->Post("/api/blobs/sha256:xyz", "abc", "application/octet-stream");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);

  auto up = client_->Post(("/api/blobs/" + digest).c_str(), bytes, "application/octet-stream");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, 201) << up->body;
  auto head = client_->Head(("/api/blobs/" + digest).c_str());
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  auto absent = client_->Head(("/api/blobs/sha256:" + std::string(64, '0')).c_str());
  ASSERT_TRUE(absent);
  EXPECT_EQ(absent->status, 404);

  auto created = post_json(*client_, "/api/create",
                           {{"model", "mine"}, {"files", {{"llama-spm-q4_0.gguf", digest}}}, {"system", "Be brief."},
                            {"parameters", {{"temperature", 0.5}, {"stop", "END"}}}, {"stream", false}});
  ASSERT_EQ(created.status, 200) << created.raw;
  EXPECT_EQ(created.body["status"], "success");
  auto shown = post_json(*client_, "/api/show", {{"model", "mine"}});
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body["system"], "Be brief.");
  EXPECT_NE(shown.body["parameters"].get<std::string>().find("stop END"), std::string::npos);

  auto from_modelfile = post_json(*client_, "/api/create",
                                  {{"model", "mine2"}, {"modelfile", "FROM mine\nSYSTEM \"\"\"Other.\"\"\"\n"}});
  ASSERT_EQ(from_modelfile.status, 200) << from_modelfile.raw;
  EXPECT_EQ(ndjson_lines(from_modelfile.raw).back()["status"], "success");
  EXPECT_EQ(post_json(*client_, "/api/show", {{"model", "mine2"}}).body["system"], "Other.");

  auto missing_blob = post_json(*client_, "/api/create",
                                {{"model", "m3"}, {"files", {{"x.gguf", "sha256:" + std::string(64, 'a')}}}});
  EXPECT_EQ(missing_blob.status, 400);
  auto bad_modelfile = post_json(*client_, "/api/create", {{"model", "m4"}, {"modelfile", "FROMM x"}});
  EXPECT_EQ(bad_modelfile.status, 400);
}

// As `ollama create --quantize` sends it: from a model in the store, F32 weights quantised.
TEST_F(StoreApi, CreateQuantisesTheFromModel) {
  auto r = post_json(*client_, "/api/create", {{"model", "s8"}, {"from", "stories"}, {"quantize", "q8_0"}, {"stream", false}});
  ASSERT_EQ(r.status, 200) << r.raw;
  auto show = post_json(*client_, "/api/show", {{"model", "s8"}});
  EXPECT_EQ(show.body["details"]["quantization_level"], "Q8_0") << show.raw;
  EXPECT_EQ(post_json(*client_, "/api/show", {{"model", "stories"}}).body["details"]["quantization_level"], "F32");
  auto g = post_json(*client_, "/api/generate", {{"model", "s8"}, {"prompt", "Once"}, {"raw", true}, {"stream", false},
                                                 {"options", {{"num_predict", 4}}}});
  EXPECT_EQ(g.status, 200) << g.raw;
  EXPECT_EQ(g.body["eval_count"], 4);
  // Streamed: the quantising step is reported before success.
  auto s = post_stream(*client_, "/api/create", {{"model", "s4"}, {"from", "stories"}, {"quantize", "Q4_K_M"}});
  ASSERT_EQ(s.status, 200);
  const auto lines = ndjson_lines(s.body);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(lines.front()["status"].get<std::string>().find("quantizing"), std::string::npos) << s.body;
  EXPECT_EQ(lines.back()["status"], "success");
  for (const json& bad : {json{{"from", "stories"}, {"quantize", "q9_z"}}, json{{"from", "llama"}, {"quantize", "q4_K_M"}}}) {
    json body = {{"model", "bad"}, {"stream", false}};
    body.update(bad);
    auto refused = post_json(*client_, "/api/create", body);
    EXPECT_EQ(refused.status, 400) << bad << refused.raw;
    // Worded for an API client, not after the CLI's --quantize flag.
    EXPECT_EQ(refused.raw.find("create --quantize"), std::string::npos) << refused.raw;
  }
  EXPECT_EQ(names().count("bad:latest"), 0u);
}

TEST_F(StoreApi, ShowCapabilitiesFollowTheArchitecture) {
  EXPECT_EQ(post_json(*client_, "/api/show", {{"model", "bge"}}).body["capabilities"], json::array({"embedding"}));
  EXPECT_EQ(post_json(*client_, "/api/show", {{"model", "stories"}}).body["capabilities"], json::array({"completion"}));
}

TEST_F(StoreApi, PullAndPushAreRefusedOffline) {
  for (const char* route : {"/api/pull", "/api/push"}) {
    auto r = post_json(*client_, route, {{"model", "llama3"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body["error"].get<std::string>().find("offline"), std::string::npos);
    EXPECT_NE(r.body["error"].get<std::string>().find("bundle"), std::string::npos);
  }
}

TEST(DemoModel, EmptyStoreGetsTheDemoModelAndItAnswers) {
  TempDir dir;
  ASSERT_TRUE(ensure_demo_model(dir.path()));
  EXPECT_FALSE(ensure_demo_model(dir.path()));  // only into an empty store
  RunningServer server(dir.path());
  auto c = server.client();
  auto r = post_json(*c, "/api/chat",
                     {{"model", "demo"}, {"messages", {{{"role", "user"}, {"content", "Hello"}}}}, {"stream", false},
                      {"options", {{"num_predict", 5}}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_GT(r.body["eval_count"].get<int>(), 0);
}

// Regression: the server rendered chats with ChatML because it looked for the template in the
// store's config blob instead of the model file.
TEST(DemoModel, ChatUsesTheModelsOwnTemplate) {
  TempDir dir;
  ASSERT_TRUE(ensure_demo_model(dir.path()));
  ThreadPool pool(1);
  Runner runner(store::Store(dir.path()).resolve("demo"), RunnerParams{}, &pool);
  const std::string prompt =
      render_chat(runner, nlohmann::ordered_json::array({{{"role", "user"}, {"content", "Hello"}}}));
  EXPECT_NE(prompt.find("<|start_header_id|>user<|end_header_id|>"), std::string::npos) << prompt;
  EXPECT_EQ(prompt.find("<|im_start|>"), std::string::npos) << prompt;
}

}  // namespace
}  // namespace airlock::server::testing
