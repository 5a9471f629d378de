// What a hostile or unlucky client does to the server (issue: hardening): bodies nested to
// exhaust the stack, bodies too large or without a length, /api/create pointed at the server's
// file system, clients that leave while a non-streamed answer is generated, models deleted while
// they serve, and memory left behind by loading and unloading.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "model/synth.h"
#include "server_harness.h"
#include "store/digest.h"
#include "store/store.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A raw client socket, to control exactly which bytes are sent and when the client leaves.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() { close(); }
  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // What arrives within `limit`: until the server closes, `until` has arrived, or the limit passes.
  std::string receive(std::chrono::milliseconds limit, const std::string& until = "") {
    std::string out;
    const auto end = Clock::now() + limit;
    char buf[4096];
    while (Clock::now() < end && (until.empty() || out.find(until) == std::string::npos)) {
      pollfd p{fd_, POLLIN, 0};
      const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
      if (::poll(&p, 1, std::max(left, 1)) <= 0) break;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

int status_of(const std::string& response) {
  std::smatch m;
  static const std::regex line(R"(^HTTP/1\.[01] (\d{3}))");
  return std::regex_search(response, m, line) ? std::stoi(m[1]) : 0;
}

std::string nested(size_t depth, char open, char close) { return std::string(depth, open) + std::string(depth, close); }

// A value of /metrics, or -1.
double metric(httplib::Client& c, const std::string& name) {
  auto r = c.Get("/metrics");
  if (!r) return -1;
  std::smatch m;
  const std::regex re("\n" + name + " ([0-9.e+]+)\n");
  return std::regex_search(r->body, m, re) ? std::stod(m[1]) : -1;
}

// Polls `done` every 20 ms for up to `limit`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

class Hardening : public FixtureServerTest<Hardening> {};

TEST_F(Hardening, DeeplyNestedBodiesAreRefusedAndTheServerLives) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/generate", R"({"model":"stories","prompt":"x","options":{"stop":)" + nested(60000, '[', ']') + "}}"},
      {"/api/chat", R"({"model":"stories","messages":)" + nested(100000, '{', '}') + "}"},
      {"/v1/chat/completions", R"({"model":"stories","messages":[],"x":)" + nested(50000, '[', ']') + "}"},
      {"/api/create", R"({"model":"m","parameters":)" + nested(1000, '[', ']') + "}"},
  };
  for (const auto& [path, body] : cases) {
    auto r = client_->Post(path.c_str(), body, "application/json");
    ASSERT_TRUE(r) << path << ": the server went away";
    EXPECT_EQ(r->status, 400) << path;
    EXPECT_NE(r->body.find("nested more than 128 levels"), std::string::npos) << path << ": " << r->body;
  }
  // Nesting within the limit is still just JSON.
  const std::string ok = R"({"model":"stories","prompt":"Once","stream":false,"options":{"num_predict":2,"x":)" +
                         nested(100, '[', ']') + "}}";
  auto r = client_->Post("/api/generate", ok, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.find("nested more than"), std::string::npos) << r->body;
  EXPECT_EQ(client_->Get("/api/version")->status, 200);
}

TEST_F(Hardening, AnAnnouncedHugeBodyGets413BeforeItIsSent) {
  RawClient raw(server_->port());
  ASSERT_TRUE(raw.connected());
  const auto start = Clock::now();
  raw.send("POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n");
  const std::string reply = raw.receive(std::chrono::seconds(5), "max_body_mb");
  EXPECT_EQ(status_of(reply), 413) << reply;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_NE(reply.find("max_body_mb"), std::string::npos) << reply;
}

TEST_F(Hardening, ChunkedBodiesAreRefusedOutsideBlobUploads) {
  RawClient raw(server_->port());
  ASSERT_TRUE(raw.connected());
  raw.send("POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
           "5\r\n{\"a\":\r\n");
  const std::string reply = raw.receive(std::chrono::seconds(5), "Content-Length");
  EXPECT_EQ(status_of(reply), 411) << reply;
}

TEST(HardeningLimits, BodyLimitIsConfigurableAndBlobUploadsStreamPastIt) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir dir;
  RunningServer server(dir.path(), [](ServerConfig& c) {
    c.max_body_mb = 1;
    c.create_demo = false;
  });
  auto c = server.client();
  const json big = {{"model", "none"}, {"prompt", std::string(3 << 19, 'a')}};  // 1.5 MiB
  auto refused = post_json(*c, "/api/generate", big);
  EXPECT_EQ(refused.status, 413) << refused.raw;
  auto openai = post_json(*c, "/v1/completions", big);
  EXPECT_EQ(openai.status, 413);
  EXPECT_EQ(openai.body["error"]["type"], "invalid_request_error");
  const json small = {{"model", "none"}, {"prompt", std::string(1 << 19, 'a')}};
  EXPECT_EQ(post_json(*c, "/api/generate", small).status, 404);  // read and judged: no such model

  // A 2.2 MiB blob upload is not held to the 1 MiB body limit.
  std::string blob = fixtures::read_file(fixtures::dir() / "models" / "bert-bge-f16.gguf").substr(0, 2300000);
  const std::string digest = store::sha256_of(blob);
  auto up = c->Post(("/api/blobs/" + digest).c_str(), blob, "application/octet-stream");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, 201) << up->body;
}

TEST_F(Hardening, CreateTakesNoPathFromTheServersFileSystem) {
  // The same refusal, whether the file exists, is readable, a directory or nothing at all.
  std::set<std::string> messages;
  const std::vector<std::string> paths = {"../big.gguf", "/etc/hostname", "/etc/shadow", "/nonexistent/x.gguf", "/etc",
                                          "./models/stories.gguf", (dir_->path() / "blobs").string()};
  for (const std::string& from : paths) {
    for (const json& body : {json{{"model", "m"}, {"from", from}, {"stream", false}},
                             json{{"model", "m"}, {"modelfile", "FROM " + from + "\n"}, {"stream", false}}}) {
      auto r = post_json(*client_, "/api/create", body);
      EXPECT_EQ(r.status, 400) << from << ": " << r.raw;
      std::string m = r.body["error"].get<std::string>();
      const auto at = m.find(from);
      ASSERT_NE(at, std::string::npos) << m;
      messages.insert(m.erase(at, from.size()));
    }
  }
  EXPECT_EQ(messages.size(), 1u) << "the refusal differs with the path";
  EXPECT_EQ(get_json(*client_, "/api/tags").body["models"].size(), 4u);  // nothing was created
  // A model already in the store is a fine source.
  auto ok = post_json(*client_, "/api/create", {{"model", "m"}, {"from", "stories"}, {"stream", false}});
  EXPECT_EQ(ok.status, 200) << ok.raw;
}

TEST(HardeningImportDir, CreateReadsOnlyInsideTheImportFolder) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir dir, import;
  const auto model = fixtures::dir() / "models" / "stories260K.gguf";
  std::filesystem::copy_file(model, import.path() / "stories.gguf");
  std::filesystem::create_directories(import.path() / "sub");
  std::filesystem::copy_file(model, import.path() / "sub" / "again.gguf");
  std::filesystem::copy_file(model, dir.path() / "outside.gguf");
  std::filesystem::create_symlink(dir.path() / "outside.gguf", import.path() / "link.gguf");
  RunningServer server(dir.path() / "store", [&](ServerConfig& c) {
    c.import_dir = import.path();
    c.create_demo = false;
  });
  auto c = server.client();
  EXPECT_EQ(post_json(*c, "/api/create", {{"model", "a"}, {"from", "stories.gguf"}, {"stream", false}}).status, 200);
  EXPECT_EQ(post_json(*c, "/api/create", {{"model", "b"}, {"modelfile", "FROM sub/again.gguf"}, {"stream", false}}).status, 200);
  const std::vector<std::string> outside = {"../outside.gguf", "link.gguf", (dir.path() / "outside.gguf").string(),
                                            "sub/../../outside.gguf"};
  for (const std::string& from : outside) {
    auto r = post_json(*c, "/api/create", {{"model", "x"}, {"from", from}, {"stream", false}});
    EXPECT_EQ(r.status, 400) << from << ": " << r.raw;
  }
}

TEST(HardeningCancel, ANonStreamedAnswerStopsWhenItsClientLeaves) {
  TempDir dir;
  // A model slow enough (a 32k vocabulary, 4096 positions) that 4,000 tokens take many seconds.
  synth::Options opt;
  opt.preset = "llama-2-7b";
  opt.type = "Q8_0";
  opt.layers = 2;
  opt.embd = 512;
  opt.ff = 1024;
  const auto file = dir.path() / "slow.gguf";
  synth::write_model(synth::plan_model(opt), opt.seed, file);
  store::Store(dir.path() / "store").import_gguf(file, "slow", {"test", nullptr, nullptr});
  RunningServer server(dir.path() / "store", [](ServerConfig& c) {
    c.num_parallel = 1;
    c.num_ctx = 4096;
  });
  auto c = server.client();
  // Warm the model, so the request below starts generating at once.
  ASSERT_EQ(post_json(*c, "/api/generate", {{"model", "slow"}, {"prompt", "a"}, {"stream", false},
                                            {"options", {{"num_predict", 1}}}}).status, 200);
  const json body = {{"model", "slow"}, {"prompt", "Once upon a time"}, {"stream", false},
                     {"options", {{"num_predict", 1000000}, {"temperature", 1.0}}}};
  const std::string text = body.dump();
  RawClient raw(server.port());
  ASSERT_TRUE(raw.connected());
  raw.send("POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(text.size()) + "\r\n\r\n" + text);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  raw.close();
  ASSERT_TRUE(eventually([&] { return metric(*c, "airlock_cancelled_requests_total") == 1; }))
      << "the generation was not cancelled: " << c->Get("/metrics")->body;
  EXPECT_GT(metric(*c, "airlock_cancelled_tokens_total"), 0);
  // The slot is free again: the next request (one slot) is answered at once.
  const auto start = Clock::now();
  EXPECT_EQ(post_json(*c, "/api/generate", {{"model", "slow"}, {"prompt", "b"}, {"stream", false},
                                            {"options", {{"num_predict", 1}}}}).status, 200);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST(HardeningDelete, ADeletedModelTakesNoNewRequestsAndGcKeepsWhatIsLoaded) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir dir;
  import_fixture_models(dir.path());
  RunningServer server(dir.path());
  auto c = server.client();
  ASSERT_EQ(post_json(*c, "/api/generate", {{"model", "llama"}, {"prompt", "a"}, {"stream", false},
                                            {"options", {{"num_predict", 1}}}}).status, 200);
  // A stream in flight when the name is deleted finishes.
  std::atomic<bool> deleted{false};
  StreamReply stream;
  std::thread streamer([&] {
    auto sc = server.client();
    stream = post_stream(*sc, "/api/generate", {{"model", "llama"}, {"prompt", "x"},
                                                {"options", {{"num_predict", 400}, {"temperature", 1.0}}}},
                         [&](const std::string&) {
                           while (!deleted) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                           return true;
                         });
  });
  ASSERT_TRUE(eventually([&] { return get_json(*c, "/api/ps").body["models"].size() == 1; }));
  auto del = c->Delete("/api/delete", json{{"model", "llama"}}.dump(), "application/json");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  // The store's gc runs meanwhile: the loaded model's blob is kept.
  const auto report = store::Store(dir.path()).gc(false);
  EXPECT_EQ(report.in_use.size(), 1u);
  deleted = true;
  // New requests for the name: 404, not answered from memory.
  auto after = post_json(*c, "/api/generate", {{"model", "llama"}, {"prompt", "a"}, {"stream", false}});
  EXPECT_EQ(after.status, 404) << after.raw;
  auto ps = get_json(*c, "/api/ps");
  EXPECT_EQ(ps.status, 200) << ps.raw;
  streamer.join();
  EXPECT_TRUE(stream.completed);
  const auto lines = ndjson_lines(stream.body);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["done"], true);
  // Once the stream is over the instance unloads, and then gc frees the blob. The runner (and its
  // pin on the blob) is destroyed just after /api/ps stops listing it, by the thread that released
  // the last lease: the pin is waited for too.
  ASSERT_TRUE(eventually([&] { return get_json(*c, "/api/ps").body["models"].empty(); }));
  ASSERT_TRUE(eventually([&] { return store::Store(dir.path()).gc(/*dry_run=*/true).in_use.empty(); }));
  const auto later = store::Store(dir.path()).gc(false);
  EXPECT_EQ(later.blobs.size(), 1u);
}

// Resident memory of this process, in bytes.
size_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

TEST(HardeningMemory, LoadingAndUnloadingThirtyTimesGivesTheMemoryBack) {
  AIRLOCK_REQUIRE_FIXTURES();
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer holds freed memory in quarantine: RSS says nothing about leaks here";
#endif
  TempDir dir;
  import_fixture_models(dir.path());
  RunningServer server(dir.path());
  auto c = server.client();
  auto cycle = [&] {
    for (const char* model : {"llama", "qwen"}) {
      ASSERT_EQ(post_json(*c, "/api/generate", {{"model", model}, {"prompt", "a"}, {"stream", false},
                                                {"options", {{"num_predict", 2}}}}).status, 200);
      ASSERT_EQ(post_json(*c, "/api/generate", {{"model", model}, {"keep_alive", 0}}).status, 200);
    }
    ASSERT_TRUE(eventually([&] { return get_json(*c, "/api/ps").body["models"].empty(); }));
  };
  cycle();  // the first load sets up what stays for the process's life (thread pools, tables)
  const size_t baseline = rss_bytes();
  for (int i = 0; i < 30; ++i) cycle();
  const size_t after = rss_bytes();
  // Each load maps ~30 MB of weights and KV cache; 30 cycles that kept them would add ~1 GB.
  EXPECT_LT(after, baseline + (40u << 20)) << "RSS grew from " << (baseline >> 20) << " to " << (after >> 20) << " MiB";
}

}  // namespace
}  // namespace airlock::server::testing
