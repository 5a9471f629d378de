// Per-request options that change how a model runs (num_ctx, num_batch, num_thread), the keys the
// server accepts without effect or refuses, and the request log line, on a real server over the
// fixture models.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "gguf/gguf.h"
#include "server_harness.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

class RequestOptions : public FixtureServerTest<RequestOptions> {
 protected:
  // Greedy, no penalties: the reference's argmax continuation.
  static json greedy(json extra, size_t n) {
    extra["temperature"] = 0;
    extra["repeat_penalty"] = 1;
    extra["num_predict"] = n;
    return extra;
  }
  JsonReply generate(const std::string& model, const std::string& prompt, const json& options,
                     const json& extra = json::object()) {
    json body = {{"model", model}, {"prompt", prompt}, {"raw", true}, {"stream", false}, {"options", options}};
    body.update(extra);
    return post_json(*client_, "/api/generate", body);
  }
  // The context bounds prompt and answer only without the familiar server's defaults, which cut
  // an overlong prompt and shift a full context (test_context_fit.cpp).
  static json fixed_context() { return {{"truncate", false}, {"shift", false}}; }
  // /api/ps entries of one model.
  std::vector<json> loaded(const std::string& model) {
    std::vector<json> out;
    const JsonReply ps = get_json(*client_, "/api/ps");
    for (const auto& m : ps.body["models"])
      if (m["name"].get<std::string>().rfind(model + ":", 0) == 0) out.push_back(m);
    return out;
  }
  static int64_t trained_context(const std::string& fixture) {
    auto f = gguf::File::open(fixtures::dir() / "models" / (fixture + ".gguf"));
    return *f->get_int(*f->get_string("general.architecture") + ".context_length");
  }
};

TEST_F(RequestOptions, NumCtxBoundsPromptPlusGeneration) {
  const GreedyCase g = greedy_case("stories260K", 1);
  const int64_t num_ctx = static_cast<int64_t>(g.prompt_tokens) + 10;
  auto r = generate("stories", g.prompt, greedy({{"num_ctx", num_ctx}}, 100), fixed_context());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["done_reason"], "length");
  // A fresh instance: the whole prompt is evaluated, and the context ends the answer.
  EXPECT_EQ(r.body["prompt_eval_count"], g.prompt_tokens);
  EXPECT_EQ(r.body["eval_count"], num_ctx - static_cast<int64_t>(g.prompt_tokens));
  const std::string text = r.body["response"];
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(g.text.substr(0, text.size()), text) << "not the reference's greedy continuation";
  // A prompt that does not fit the asked context at all.
  auto small = generate("stories", g.prompt, {{"num_ctx", g.prompt_tokens - 1}}, fixed_context());
  EXPECT_EQ(small.status, 400) << small.raw;
}

TEST_F(RequestOptions, NumCtxChangeLoadsAnInstanceWithThatContext) {
  const int64_t trained = trained_context("llama-spm-q8_0");
  ASSERT_GT(trained, 64);
  auto first = generate("llama", "hello", {{"num_predict", 2}});
  ASSERT_EQ(first.status, 200) << first.raw;
  auto ps = loaded("llama");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0]["context_length"], std::min<int64_t>(512, trained));  // the harness's num_ctx

  auto changed = generate("llama", "hello", {{"num_predict", 2}, {"num_ctx", 64}});
  ASSERT_EQ(changed.status, 200) << changed.raw;
  EXPECT_GT(changed.body["load_duration"].get<int64_t>(), 0) << "no reload for another num_ctx";
  ps = loaded("llama");
  ASSERT_EQ(ps.size(), 1u) << "the idle instance with the old context was not unloaded";
  EXPECT_EQ(ps[0]["context_length"], 64);

  auto same = generate("llama", "hello", {{"num_predict", 2}, {"num_ctx", 64}});
  ASSERT_EQ(same.status, 200) << same.raw;
  EXPECT_EQ(same.body["load_duration"], 0);

  auto back = generate("llama", "hello", {{"num_predict", 2}});
  ASSERT_EQ(back.status, 200) << back.raw;
  EXPECT_GT(back.body["load_duration"].get<int64_t>(), 0);
  ps = loaded("llama");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0]["context_length"], std::min<int64_t>(512, trained));
}

// A request in flight when another asks for a new num_ctx finishes on its instance; that instance
// unloads once it is done.
TEST_F(RequestOptions, InFlightRequestFinishesWhileTheNewContextLoads) {
  JsonReply during;
  bool asked = false;
  auto stream = post_stream(*client_, "/api/generate",
                            {{"model", "stories"}, {"prompt", "Once upon a time"}, {"raw", true},
                             {"options", {{"num_predict", 200}, {"temperature", 0}, {"repeat_penalty", 1}}}},
                            [&](const std::string&) {
                              if (!asked) {
                                asked = true;
                                auto other = server_->client();
                                during = post_json(*other, "/api/generate",
                                                   {{"model", "stories"}, {"prompt", "Once"}, {"stream", false},
                                                    {"options", {{"num_predict", 2}, {"num_ctx", 64}}}});
                              }
                              return true;
                            });
  ASSERT_TRUE(asked);
  EXPECT_EQ(during.status, 200) << during.raw;
  EXPECT_GT(during.body["load_duration"].get<int64_t>(), 0);
  ASSERT_EQ(stream.status, 200);
  EXPECT_TRUE(stream.completed);
  const auto lines = ndjson_lines(stream.body);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["done"], true) << stream.body;
  EXPECT_GT(lines.back()["eval_count"].get<int64_t>(), 2);
  // The retired instance goes when its lease does (the stream's end, just after the last byte).
  std::vector<json> ps;
  for (int i = 0; i < 100; ++i) {
    ps = loaded("stories");
    if (ps.size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0]["context_length"], 64);
}

TEST_F(RequestOptions, ModelfileNumCtxIsTheDefaultARequestOverrides) {
  auto created = post_json(*client_, "/api/create",
                           {{"model", "short"}, {"modelfile", "FROM stories\nPARAMETER num_ctx 40\n"}, {"stream", false}});
  ASSERT_EQ(created.status, 200) << created.raw;
  auto r = generate("short", "Once", {{"num_predict", 100}, {"temperature", 0}}, fixed_context());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["done_reason"], "length");
  EXPECT_EQ(r.body["prompt_eval_count"].get<int64_t>() + r.body["eval_count"].get<int64_t>(), 40);
  auto ps = loaded("short");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0]["context_length"], 40);
  auto asked = generate("short", "Once", {{"num_predict", 1}, {"num_ctx", 50}});
  ASSERT_EQ(asked.status, 200) << asked.raw;
  ps = loaded("short");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0]["context_length"], 50);
}

TEST_F(RequestOptions, NumCtxOutOfRangeIs400) {
  for (const json& bad : {json(0), json(-5), json(1.5), json("64")}) {
    auto r = generate("qwen", "hello", {{"num_ctx", bad}});
    EXPECT_EQ(r.status, 400) << bad << " " << r.raw;
    EXPECT_NE(r.body.value("error", "").find("num_ctx"), std::string::npos) << r.raw;
  }
}

// A script sends one num_ctx to every model: above a model's trained context it gets that.
TEST_F(RequestOptions, NumCtxAboveTheTrainedContextIsCapped) {
  const int64_t trained = trained_context("qwen2-gpt2-q8_0");
  for (const json& options : {json{{"num_ctx", trained + 1}}, json{{"num_ctx", trained * 64}}}) {
    auto r = generate("qwen", "hello", {{"num_predict", 2}, {"num_ctx", options["num_ctx"]}});
    ASSERT_EQ(r.status, 200) << r.raw;
    auto ps = loaded("qwen");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0]["context_length"], trained);
  }
  // The capped request is served by the instance already loaded with the trained context.
  auto again = generate("qwen", "hello", {{"num_predict", 2}, {"num_ctx", trained + 100}});
  EXPECT_EQ(again.body["load_duration"], 0) << again.raw;
  auto load_only = post_json(*client_, "/api/generate", {{"model", "qwen"}, {"options", {{"num_ctx", trained + 1}}}});
  EXPECT_EQ(load_only.status, 200) << load_only.raw;
}

TEST_F(RequestOptions, EmbedNumCtxLimitsTheInput) {
  const std::string text = "one two three four five six seven eight nine ten eleven twelve";
  const json input = {{"model", "bge"}, {"input", text}, {"truncate", false}};
  auto whole = post_json(*client_, "/api/embed", input);
  ASSERT_EQ(whole.status, 200) << whole.raw;
  const int64_t tokens = whole.body["prompt_eval_count"];
  ASSERT_GT(tokens, 8);
  json small = input;
  small["options"] = {{"num_ctx", 8}};
  auto refused = post_json(*client_, "/api/embed", small);
  EXPECT_EQ(refused.status, 400) << refused.raw;
  EXPECT_EQ(refused.body.value("error", ""), "input is " + std::to_string(tokens) + " tokens, the context holds 8");
  small["truncate"] = true;
  auto cut = post_json(*client_, "/api/embed", small);
  EXPECT_EQ(cut.status, 200) << cut.raw;
  small["options"] = {{"num_ctx", 8}, {"typo", 1}};
  EXPECT_EQ(post_json(*client_, "/api/embed", small).status, 400);
}

TEST_F(RequestOptions, NumBatchGivesTheSameGreedyOutput) {
  const GreedyCase g = greedy_case("stories260K", 1);
  for (int num_batch : {1, 3, 4096}) {
    auto r = generate("stories", g.prompt, greedy({{"num_batch", num_batch}}, g.greedy.size()));
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["response"], g.text) << "num_batch " << num_batch;
  }
  for (const json& bad : {json(0), json(-1), json("8"), json(2.5)}) {
    auto r = generate("stories", g.prompt, {{"num_batch", bad}});
    EXPECT_EQ(r.status, 400) << bad << " " << r.raw;
  }
}

TEST_F(RequestOptions, NumThreadRunsOnAPoolOfThatSize) {
  const GreedyCase g = greedy_case("stories260K", 2);
  auto shared = generate("stories", g.prompt, greedy({{"num_thread", 0}}, g.greedy.size()));  // 0: the server's pool
  ASSERT_EQ(shared.status, 200) << shared.raw;
  EXPECT_EQ(shared.body["response"], g.text);
  auto own = generate("stories", g.prompt, greedy({{"num_thread", 1}}, g.greedy.size()));
  ASSERT_EQ(own.status, 200) << own.raw;
  EXPECT_GT(own.body["load_duration"].get<int64_t>(), 0) << "num_thread 1 ran on the shared 2-thread pool";
  EXPECT_EQ(own.body["response"], g.text);
  auto again = generate("stories", g.prompt, greedy({{"num_thread", 1}}, 2));
  EXPECT_EQ(again.body["load_duration"], 0);
  for (const json& bad : {json(100000), json(-1), json("1")}) {
    auto r = generate("stories", g.prompt, {{"num_thread", bad}});
    EXPECT_EQ(r.status, 400) << bad << " " << r.raw;
    EXPECT_NE(r.body.value("error", "").find("num_thread"), std::string::npos) << r.raw;
  }
}

TEST_F(RequestOptions, UnknownKeysAre400HardwareHintsAreAccepted) {
  auto unknown = generate("stories", "Once", {{"num_predict", 2}, {"temprature", 0.5}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body.value("error", ""), "options.temprature: unknown option");
  auto chat = post_json(*client_, "/api/chat",
                        {{"model", "stories"}, {"stream", false}, {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                         {"options", {{"bogus", 1}}}});
  EXPECT_EQ(chat.status, 400) << chat.raw;
  // What the familiar clients send routinely, with their default values.
  const json hints = {{"num_predict", 2}, {"numa", false}, {"num_gpu", 99}, {"main_gpu", 0}, {"low_vram", false},
                      {"f16_kv", true}, {"use_mmap", true}, {"use_mlock", false}, {"vocab_only", false},
                      {"logits_all", false}, {"embedding_only", false}, {"num_keep", 4}, {"penalize_newline", true},
                      {"mirostat", 0}, {"mirostat_tau", 5.0}, {"mirostat_eta", 0.1}, {"tfs_z", 1.0}};
  auto ok = generate("stories", "Once", hints);
  EXPECT_EQ(ok.status, 200) << ok.raw;
  for (const json& changes_output : {json{{"mirostat", 2}}, json{{"tfs_z", 0.9}}}) {
    auto r = generate("stories", "Once", changes_output);
    EXPECT_EQ(r.status, 400) << changes_output;
    EXPECT_NE(r.body.value("error", "").find("not supported"), std::string::npos) << r.raw;
  }
}

// One structured line per request, with the model, status, duration, token counts and the hints
// it ignored.
TEST(RequestLog, LineCarriesModelStatusDurationAndTokens) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir dir;
  import_fixture_models(dir.path());
  const auto log_path = dir.path() / "requests.log";
  std::FILE* log = std::fopen(log_path.c_str(), "w");
  ASSERT_NE(log, nullptr);
  {
    RunningServer server(dir.path(), {}, log);
    auto c = server.client();
    const std::string prompt = greedy_case("stories260K", 0).prompt;
    auto r = post_json(*c, "/api/generate",
                       {{"model", "stories"}, {"prompt", prompt}, {"raw", true}, {"stream", false},
                        {"options", {{"num_predict", 3}, {"temperature", 0}, {"repeat_penalty", 1}, {"num_gpu", 1}}}});
    ASSERT_EQ(r.status, 200) << r.raw;
    auto s = post_stream(*c, "/api/generate", {{"model", "stories"}, {"prompt", prompt}, {"raw", true},
                                               {"options", {{"num_predict", 4}, {"temperature", 0}, {"repeat_penalty", 1}}}});
    ASSERT_EQ(s.status, 200);
    auto bad = post_json(*c, "/api/generate", {{"model", "nope"}, {"prompt", "x"}});
    EXPECT_EQ(bad.status, 404);
  }
  std::fclose(log);
  std::ifstream in(log_path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  const GreedyCase g = greedy_case("stories260K", 0);
  ASSERT_GE(g.greedy.size(), 4u) << "the reference ends early";
  const size_t prompt_tokens = g.prompt_tokens;
  // Lines come in the order the requests' threads finish, which need not be the order sent.
  std::sort(lines.begin(), lines.end(), [](const json& a, const json& b) {
    return a.value("eval_tokens", 99) < b.value("eval_tokens", 99);
  });
  EXPECT_EQ(lines[0]["model"], "stories");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[0]["path"], "/api/generate");
  EXPECT_GT(lines[0]["duration_ms"].get<double>(), 0);
  EXPECT_EQ(lines[0]["prompt_tokens"], prompt_tokens);
  EXPECT_EQ(lines[0]["eval_tokens"], 3);
  EXPECT_EQ(lines[0]["ignored_options"], json::array({"num_gpu"}));
  EXPECT_EQ(lines[1]["prompt_tokens"], prompt_tokens) << "streamed request";
  EXPECT_EQ(lines[1]["eval_tokens"], 4);
  EXPECT_FALSE(lines[1].contains("ignored_options"));
  EXPECT_EQ(lines[2]["status"], 404);
  EXPECT_EQ(lines[2]["model"], "nope");
  EXPECT_FALSE(lines[2].contains("eval_tokens"));
}

TEST(RequestLog, ACappedNumCtxIsNoted) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir dir;
  import_fixture_models(dir.path());
  auto f = gguf::File::open(fixtures::dir() / "models" / "stories260K.gguf");
  const int64_t trained = *f->get_int(*f->get_string("general.architecture") + ".context_length");
  const auto log_path = dir.path() / "requests.log";
  std::FILE* log = std::fopen(log_path.c_str(), "w");
  ASSERT_NE(log, nullptr);
  {
    RunningServer server(dir.path(), {}, log);
    auto c = server.client();
    for (int64_t num_ctx : {trained * 8, trained}) {
      auto r = post_json(*c, "/api/generate", {{"model", "stories"}, {"prompt", "Once"}, {"stream", false},
                                               {"options", {{"num_predict", 1}, {"num_ctx", num_ctx}}}});
      ASSERT_EQ(r.status, 200) << r.raw;
    }
  }
  std::fclose(log);
  std::ifstream in(log_path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].value("num_ctx_capped_to", int64_t{-1}), trained) << lines[0];
  EXPECT_FALSE(lines[1].contains("num_ctx_capped_to")) << lines[1];
}

}  // namespace
}  // namespace airlock::server::testing
