// The document routes over real HTTP against a real store: collections created, listed, shown and
// deleted; documents uploaded (raw and multipart) and ingested from the server's rag_root only;
// retrieval; and retrieval-augmented chat on /api/rag/chat, /api/chat and /v1/chat/completions
// (the `rag` field), streamed and not, including the "nothing found" answer.
#include <gtest/gtest.h>

#include <fstream>

#include "rag/answer_prompt.h"
#include "server_harness.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kPump =
    "# Coolant pump\n\nThe coolant pump must be inspected every 400 operating hours. Replace the impeller seal when "
    "the drip rate exceeds three drops per minute.\n\n## Shutdown\n\nClose valve V12 before draining the coolant loop.\n";
constexpr const char* kBadge = "Visitors receive a yellow badge at the north gate and are escorted at all times.\n";

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class RagApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fixtures::present()) return;
    store_ = new TempDir();
    outside_ = new TempDir();
    import_fixture_models(store_->path());
    root_ = store_->path() / "docs";
    write(root_ / "sop" / "pump.md", kPump);
    write(root_ / "badge.txt", kBadge);
    write(outside_->path() / "secret.txt", "the launch code is 0000 secret secret\n");
    fs::create_symlink(outside_->path() / "secret.txt", root_ / "sop" / "link.txt");
    server_ = new RunningServer(store_->path(), [](ServerConfig& c) { c.rag_root = root_; });
    auto client = server_->client();
    client->set_read_timeout(std::chrono::seconds(120));
    ASSERT_EQ(post_json(*client, "/api/rag/collections",
                        {{"name", "plant"}, {"embed_model", "bge"}, {"chunk_tokens", 64}, {"overlap_tokens", 8}})
                  .status,
              200);
    const auto r = post_json(*client, "/api/rag/collections/plant/ingest", {{"paths", {"sop", "badge.txt"}}});
    ASSERT_EQ(r.status, 200) << r.raw;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete outside_;
    delete store_;
    server_ = nullptr;
  }
  void SetUp() override {
    AIRLOCK_REQUIRE_FIXTURES();
    client_ = server_->client();
    client_->set_read_timeout(std::chrono::seconds(120));
  }

  static inline TempDir* store_ = nullptr;
  static inline TempDir* outside_ = nullptr;
  static inline fs::path root_;
  static inline RunningServer* server_ = nullptr;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(RagApi, IngestFromTheRootSkipsALinkLeadingOutOfIt) {
  auto show = get_json(*client_, "/api/rag/collections/plant");
  ASSERT_EQ(show.status, 200) << show.raw;
  std::set<std::string> paths;
  for (const auto& d : show.body["documents_list"]) paths.insert(d["path"]);
  EXPECT_EQ(paths, (std::set<std::string>{fs::canonical(root_ / "sop/pump.md").string(),
                                          fs::canonical(root_ / "badge.txt").string()}));
  EXPECT_GT(show.body["chunks"].get<int>(), 1);
  EXPECT_EQ(show.body["embed_model"], "bge");
  // Again: everything unchanged, and the link reported as leading outside.
  const auto again = post_json(*client_, "/api/rag/collections/plant/ingest", {{"paths", {"sop", "badge.txt"}}});
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["unchanged"], 2);
  EXPECT_EQ(again.body["added"], 0);
  ASSERT_EQ(again.body["failures"].size(), 1u) << again.raw;
  EXPECT_NE(again.body["failures"][0]["reason"].get<std::string>().find("outside"), std::string::npos);
  EXPECT_EQ(again.raw.find("launch"), std::string::npos);
}

TEST_F(RagApi, PathsOutsideTheRootAllGetTheSameRefusal) {
  std::set<std::string> messages;
  for (const std::string& p : std::vector<std::string>{"../x", "/etc/passwd", "/etc/nonexistent-file", "nonexistent.txt", "sop/../../x",
                              outside_->path().string() + "/secret.txt", "sop/link.txt"}) {
    const auto r = post_json(*client_, "/api/rag/collections/plant/ingest", {{"paths", {p}}});
    EXPECT_EQ(r.status, 400) << p << ": " << r.raw;
    std::string m = r.body["error"].get<std::string>();
    m.replace(m.find(p), p.size(), "P");  // the client's own path is echoed, nothing else differs
    messages.insert(m);
  }
  EXPECT_EQ(messages.size(), 1u) << *messages.begin();
  // A server without rag_root reads no path at all.
  TempDir other;
  import_fixture_models(other.path());
  RunningServer plain(other.path());
  auto c = plain.client();
  ASSERT_EQ(post_json(*c, "/api/rag/collections", {{"name", "x"}, {"embed_model", "bge"}}).status, 200);
  EXPECT_EQ(post_json(*c, "/api/rag/collections/x/ingest", {{"paths", {root_.string()}}}).status, 400);
}

TEST_F(RagApi, CollectionLifecycleAndBadRequests) {
  EXPECT_EQ(post_json(*client_, "/api/rag/collections", {{"name", "Bad/Name"}, {"embed_model", "bge"}}).status, 400);
  EXPECT_EQ(post_json(*client_, "/api/rag/collections", {{"name", "y"}, {"embed_model", "nosuchmodel"}}).status, 404);
  EXPECT_EQ(post_json(*client_, "/api/rag/collections", {{"name", "y"}, {"embed_model", "stories"}}).status, 400);
  EXPECT_EQ(post_json(*client_, "/api/rag/collections", {{"name", "y"}}).status, 400);
  EXPECT_EQ(post_json(*client_, "/api/rag/collections", {{"name", "plant"}, {"embed_model", "bge"}}).status, 400);
  ASSERT_EQ(post_json(*client_, "/api/rag/collections", {{"name", "temp"}, {"embed_model", "bge"}}).status, 200);
  auto list = get_json(*client_, "/api/rag/collections");
  ASSERT_EQ(list.status, 200);
  std::set<std::string> names;
  for (const auto& c : list.body["collections"]) names.insert(c["name"]);
  EXPECT_TRUE(names.contains("temp") && names.contains("plant")) << list.raw;
  auto del = client_->Delete("/api/rag/collections/temp");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  EXPECT_EQ(get_json(*client_, "/api/rag/collections/temp").status, 404);
  EXPECT_EQ(client_->Delete("/api/rag/collections/temp")->status, 404);
  EXPECT_FALSE(fs::exists(store_->path() / "rag" / "temp"));
}

TEST_F(RagApi, ACollectionMadeAgainIsNotAnsweredFromTheOldOnesIndex) {
  const json make = {{"name", "again"}, {"embed_model", "bge"}, {"chunk_tokens", 16}, {"overlap_tokens", 2}};
  ASSERT_EQ(post_json(*client_, "/api/rag/collections", make).status, 200);
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "Paragraph " + std::to_string(i) + " about valves and gaskets.\n\n";
  ASSERT_EQ(client_->Post("/api/rag/collections/again/documents?path=old.md", long_text, "text/markdown")->status, 200);
  ASSERT_EQ(post_json(*client_, "/api/rag/query", {{"collection", "again"}, {"query", "valves"}}).status, 200);
  ASSERT_EQ(client_->Delete("/api/rag/collections/again")->status, 200);
  ASSERT_EQ(post_json(*client_, "/api/rag/collections", make).status, 200);
  ASSERT_EQ(client_->Post("/api/rag/collections/again/documents?path=new.md", kBadge, "text/markdown")->status, 200);
  auto r = post_json(*client_, "/api/rag/query", {{"collection", "again"}, {"query", "valves badge"}, {"top_k", 10}});
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["results"].size(), 1u) << r.raw;
  EXPECT_EQ(r.body["results"][0]["path"], "new.md");
}

TEST_F(RagApi, UploadsRawAndMultipart) {
  ASSERT_EQ(post_json(*client_, "/api/rag/collections", {{"name", "up"}, {"embed_model", "bge"}, {"chunk_tokens", 64}, {"overlap_tokens", 8}}).status, 200);
  auto raw = client_->Post("/api/rag/collections/up/documents?path=manual%2Fpump.md", kPump, "text/markdown");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  EXPECT_EQ(json::parse(raw->body)["added"], 1);
  auto same = client_->Post("/api/rag/collections/up/documents?path=manual%2Fpump.md", kPump, "text/markdown");
  EXPECT_EQ(json::parse(same->body)["unchanged"], 1);
  httplib::MultipartFormDataItems items = {{"file", kBadge, "badge.txt", "text/plain"},
                                           {"file", "<html><body><h1>Fire</h1><p>Assemble at the car park.</p></body></html>",
                                            "fire.html", "text/html"},
                                           {"file", std::string("\x7f" "ELF\x01\x02", 6), "tool.bin", "application/octet-stream"}};
  auto multi = client_->Post("/api/rag/collections/up/documents", items);
  ASSERT_TRUE(multi);
  ASSERT_EQ(multi->status, 200) << multi->body;
  const json m = json::parse(multi->body);
  EXPECT_EQ(m["added"], 2) << multi->body;
  EXPECT_EQ(m["files"], 3);
  EXPECT_EQ(m["collection"]["documents"], 3);
  auto q = post_json(*client_, "/api/rag/query", {{"collection", "up"}, {"query", "where do we assemble for a fire"}, {"top_k", 1}});
  ASSERT_EQ(q.status, 200) << q.raw;
  EXPECT_EQ(q.body["results"][0]["path"], "fire.html");
  EXPECT_EQ(client_->Post("/api/rag/collections/up/documents", kPump, "text/markdown")->status, 400);  // no name
  EXPECT_EQ(client_->Post("/api/rag/collections/none/documents?path=a.txt", "x", "text/plain")->status, 404);
}

TEST_F(RagApi, QueryFindsTheAnsweringChunkWithItsSource) {
  auto r = post_json(*client_, "/api/rag/query", {{"collection", "plant"}, {"query", "impeller seal drip rate"}, {"top_k", 3}});
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_FALSE(r.body["results"].empty());
  const json& top = r.body["results"][0];
  EXPECT_EQ(top["path"], fs::canonical(root_ / "sop/pump.md").string());
  EXPECT_NE(top["text"].get<std::string>().find("impeller seal"), std::string::npos);
  EXPECT_EQ(top["lines"].size(), 2u);
  EXPECT_GT(top["bm25"].get<double>(), 0);
  EXPECT_LE(r.body["results"].size(), 3u);
  EXPECT_EQ(post_json(*client_, "/api/rag/query", {{"collection", "plant"}, {"query", "x"}, {"top_k", 0}}).status, 400);
  EXPECT_EQ(post_json(*client_, "/api/rag/query", {{"collection", "nothere"}, {"query", "x"}}).status, 404);
  EXPECT_EQ(post_json(*client_, "/api/rag/query", {{"collection", "../../etc"}, {"query", "x"}}).status, 400);
  EXPECT_EQ(post_json(*client_, "/api/rag/query", {{"query", "x"}}).status, 400);
  // Logged: one JSON line per query in the collection's event log.
  std::ifstream log(store_->path() / "rag" / "plant" / "events.jsonl");
  std::string line, last_query;
  while (std::getline(log, line))
    if (json::parse(line).value("event", "") == "query") last_query = line;
  EXPECT_NE(last_query.find("impeller seal drip rate"), std::string::npos);
}

json chat_options() { return {{"temperature", 0}, {"num_predict", 8}}; }

void expect_sources_from_pump(const json& sources) {
  ASSERT_TRUE(sources.is_array());
  ASSERT_FALSE(sources.empty());
  bool pump = false;
  for (const auto& s : sources) {
    EXPECT_TRUE(s["text"].is_string() && s["path"].is_string() && s["number"].is_number_integer()) << s.dump();
    EXPECT_TRUE(s["cited"].is_boolean());
    pump |= s["path"].get<std::string>().ends_with("pump.md");
  }
  EXPECT_TRUE(pump) << sources.dump();
}

TEST_F(RagApi, RagChatPutsTheSourcesIntoThePromptAndListsThem) {
  const json question = {{"role", "user"}, {"content", "How often is the coolant pump inspected?"}};
  auto plain = post_json(*client_, "/api/chat", {{"model", "qwen"}, {"messages", {question}}, {"stream", false}, {"options", chat_options()}});
  ASSERT_EQ(plain.status, 200) << plain.raw;
  EXPECT_FALSE(plain.body.contains("sources"));
  auto r = post_json(*client_, "/api/rag/chat",
                     {{"model", "qwen"}, {"collection", "plant"}, {"question", question["content"]}, {"top_k", 2},
                      {"stream", false}, {"options", chat_options()}});
  ASSERT_EQ(r.status, 200) << r.raw;
  expect_sources_from_pump(r.body["sources"]);
  // The numbered sources went into the prompt: many more prompt tokens than the question alone.
  EXPECT_GT(r.body["prompt_eval_count"].get<int>(), plain.body["prompt_eval_count"].get<int>() + 30);
  EXPECT_GT(r.body["eval_count"].get<int>(), 0);
  // The same through /api/chat's rag field, streamed: the last line carries the sources.
  auto s = post_stream(*client_, "/api/chat",
                       {{"model", "qwen"}, {"messages", {question}}, {"rag", {{"collection", "plant"}, {"top_k", 2}}},
                        {"options", chat_options()}});
  ASSERT_EQ(s.status, 200) << s.body;
  const auto lines = ndjson_lines(s.body);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.back()["done"], true);
  expect_sources_from_pump(lines.back()["sources"]);
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_FALSE(lines[i].contains("sources"));
}

TEST_F(RagApi, OpenAiChatTakesTheRagField) {
  const json body = {{"model", "qwen"}, {"messages", {{{"role", "user"}, {"content", "what badge do visitors get"}}}},
                     {"max_tokens", 8}, {"temperature", 0}, {"rag", {{"collection", "plant"}, {"top_k", 2}}}};
  auto r = post_json(*client_, "/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["object"], "chat.completion");
  ASSERT_FALSE(r.body["sources"].empty());
  bool badge = false;
  for (const auto& src : r.body["sources"]) badge |= src["path"].get<std::string>().ends_with("badge.txt");
  EXPECT_TRUE(badge) << r.raw;
  json streamed = body;
  streamed["stream"] = true;
  auto s = post_stream(*client_, "/v1/chat/completions", streamed);
  ASSERT_EQ(s.status, 200);
  const auto payloads = sse_payloads(s.body);
  ASSERT_GE(payloads.size(), 3u);
  EXPECT_EQ(payloads.back(), "[DONE]");
  const json last = json::parse(payloads[payloads.size() - 2]);
  EXPECT_TRUE(last["choices"][0]["finish_reason"].is_string());
  EXPECT_FALSE(last["sources"].empty());
  EXPECT_EQ(post_json(*client_, "/v1/chat/completions", {{"model", "qwen"}, {"messages", body["messages"]}, {"rag", "plant"}}).status, 400);
  EXPECT_EQ(post_json(*client_, "/v1/chat/completions", {{"model", "qwen"}, {"messages", body["messages"]}, {"rag", {{"collection", "gone"}}}}).status, 404);
}

TEST_F(RagApi, NothingRelevantIsSaidWithoutGenerating) {
  // No word of the question is in the collection, and no random-encoder similarity reaches 1.
  const json body = {{"model", "qwen"}, {"collection", "plant"}, {"question", "zyxwv qqqq"}, {"min_similarity", 1.0},
                     {"stream", false}, {"options", chat_options()}};
  auto r = post_json(*client_, "/api/rag/chat", body);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["message"]["content"], rag::kNothingFound);
  EXPECT_EQ(r.body["eval_count"], 0);
  EXPECT_TRUE(r.body["sources"].empty());
  json streamed = body;
  streamed["stream"] = true;
  auto s = post_stream(*client_, "/api/rag/chat", streamed);
  const auto lines = ndjson_lines(s.body);
  ASSERT_EQ(lines.size(), 2u) << s.body;
  EXPECT_EQ(lines[0]["message"]["content"], rag::kNothingFound);
  EXPECT_EQ(lines[1]["done"], true);
  auto o = post_json(*client_, "/v1/chat/completions",
                     {{"model", "qwen"}, {"messages", {{{"role", "user"}, {"content", "zyxwv qqqq"}}}},
                      {"rag", {{"collection", "plant"}, {"min_similarity", 1.0}}}});
  ASSERT_EQ(o.status, 200) << o.raw;
  EXPECT_EQ(o.body["choices"][0]["message"]["content"], rag::kNothingFound);
  // A server told not to be strict lets the model answer anyway.
  TempDir other;
  import_fixture_models(other.path());
  fs::copy(store_->path() / "rag", other.path() / "rag", fs::copy_options::recursive);
  RunningServer lenient(other.path(), [](ServerConfig& c) { c.rag_strict = false; });
  auto c = lenient.client();
  c->set_read_timeout(std::chrono::seconds(120));
  auto g = post_json(*c, "/api/rag/chat", body);
  ASSERT_EQ(g.status, 200) << g.raw;
  EXPECT_GT(g.body["eval_count"].get<int>(), 0);
  EXPECT_NE(g.body["message"]["content"], rag::kNothingFound);
}

TEST_F(RagApi, RagChatRefusesBadRequests) {
  EXPECT_EQ(post_json(*client_, "/api/rag/chat", {{"model", "qwen"}, {"collection", "plant"}}).status, 400);
  EXPECT_EQ(post_json(*client_, "/api/rag/chat", {{"model", "qwen"}, {"question", "x"}}).status, 400);
  EXPECT_EQ(post_json(*client_, "/api/rag/chat", {{"model", "qwen"}, {"collection", "plant"}, {"question", "x"}, {"top_k", 99}}).status, 400);
  EXPECT_EQ(post_json(*client_, "/api/chat", {{"model", "qwen"}, {"messages", {{{"role", "assistant"}, {"content", "hi"}}}},
                                              {"rag", {{"collection", "plant"}}}}).status, 400);
}

}  // namespace
}  // namespace airlock::server::testing
