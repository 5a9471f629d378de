// The familiar server's API against fixture models: generation matches the reference greedy
// continuation (streamed and not, alone and batched with others), embeddings match the reference
// vectors, and every error answers with a fitting status and {"error": ...}.
#include <gtest/gtest.h>

#include <cmath>
#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include "server_harness.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

class NativeApi : public FixtureServerTest<NativeApi> {
 protected:
  // Greedy, no penalties: the reference's argmax continuation.
  static json greedy_options(size_t n) { return {{"temperature", 0}, {"repeat_penalty", 1}, {"num_predict", n}}; }
};

TEST_F(NativeApi, RootVersionHealth) {
  auto root = client_->Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(root->body, "airlock is running");
  auto v = get_json(*client_, "/api/version");
  EXPECT_EQ(v.status, 200);
  EXPECT_TRUE(v.body["version"].is_string());
  EXPECT_EQ(get_json(*client_, "/health").status, 200);
  auto missing = get_json(*client_, "/api/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.body["error"].is_string());
}

TEST_F(NativeApi, TagsListsTheImportedModels) {
  auto r = get_json(*client_, "/api/tags");
  ASSERT_EQ(r.status, 200);
  std::map<std::string, json> by_name;
  for (const auto& m : r.body["models"]) by_name[m["name"]] = m;
  ASSERT_EQ(by_name.size(), 4u) << r.raw;
  EXPECT_EQ(by_name["llama:latest"]["details"]["family"], "llama");
  EXPECT_EQ(by_name["qwen:latest"]["details"]["family"], "qwen2");
  EXPECT_EQ(by_name["bge:latest"]["details"]["family"], "bert");
  EXPECT_EQ(by_name["llama:latest"]["details"]["quantization_level"], "Q8_0");
  EXPECT_EQ(by_name["llama:latest"]["digest"].get<std::string>().size(), 64u);
  EXPECT_GT(by_name["stories:latest"]["size"].get<uint64_t>(), 1000000u);
}

TEST_F(NativeApi, GenerateMatchesReferenceGreedy) {
  for (const auto& [fixture, model] : {std::pair{"llama-spm-q8_0", "llama"}, std::pair{"qwen2-gpt2-q4_k_m", "qwen"}}) {
    const GreedyCase g = greedy_case(fixture, 1);
    auto r = post_json(*client_, "/api/generate",
                       {{"model", model}, {"prompt", g.prompt}, {"raw", true}, {"stream", false},
                        {"options", greedy_options(g.greedy.size())}});
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["response"], g.text) << fixture;
    EXPECT_EQ(r.body["done"], true);
    EXPECT_EQ(r.body["done_reason"], "length");
    EXPECT_EQ(r.body["eval_count"], g.greedy.size());
    EXPECT_LE(r.body["prompt_eval_count"].get<size_t>(), g.prompt_tokens);
    EXPECT_GT(r.body["prompt_eval_count"].get<size_t>(), 0u);
    EXPECT_GT(r.body["total_duration"].get<int64_t>(), 0);
    EXPECT_GT(r.body["eval_duration"].get<int64_t>(), 0);
    EXPECT_GE(r.body["total_duration"].get<int64_t>(), r.body["eval_duration"].get<int64_t>());
    EXPECT_TRUE(r.body["created_at"].get<std::string>().ends_with("Z"));
  }
}

TEST_F(NativeApi, GenerateStreamsNdjsonPiecesThatAddUpToTheReference) {
  const GreedyCase g = greedy_case("stories260K", 0);
  auto r = post_stream(*client_, "/api/generate",
                       {{"model", "stories"}, {"prompt", g.prompt}, {"raw", true},
                        {"options", greedy_options(g.greedy.size())}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  const auto lines = ndjson_lines(r.body);
  ASSERT_GE(lines.size(), 3u);
  std::string text;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["done"], false);
    text += lines[i]["response"].get<std::string>();
  }
  EXPECT_EQ(text, g.text);
  const json& last = lines.back();
  EXPECT_EQ(last["done"], true);
  EXPECT_EQ(last["response"], "");
  EXPECT_TRUE(last["done_reason"] == "length" || last["done_reason"] == "stop");
  for (const char* k : {"total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
                        "eval_count", "eval_duration"})
    EXPECT_TRUE(last[k].is_number_integer()) << k;
}

TEST_F(NativeApi, ConcurrentRequestsDecodedTogetherStillMatchTheReference) {
  std::vector<std::future<std::pair<std::string, std::string>>> results;
  for (size_t i = 0; i < 3; ++i)
    for (const char* fixture : {"llama-spm-q8_0"}) {
      results.push_back(std::async(std::launch::async, [this, i, fixture] {
        const GreedyCase g = greedy_case(fixture, i);
        auto c = server_->client();
        auto r = post_json(*c, "/api/generate",
                           {{"model", "llama"}, {"prompt", g.prompt}, {"raw", true}, {"stream", false},
                            {"options", greedy_options(g.greedy.size())}});
        return std::pair{g.text, r.body.value("response", std::string("<error: ") + r.raw + ">")};
      }));
    }
  for (auto& f : results) {
    auto [expected, got] = f.get();
    EXPECT_EQ(got, expected);
  }
}

TEST_F(NativeApi, ResentPromptReusesTheCachedPrefix) {
  const GreedyCase g = greedy_case("llama-spm-q8_0", 2);
  const json body = {{"model", "llama"}, {"prompt", g.prompt}, {"raw", true}, {"stream", false},
                     {"options", greedy_options(4)}};
  auto first = post_json(*client_, "/api/generate", body);
  auto second = post_json(*client_, "/api/generate", body);
  ASSERT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body["response"], first.body["response"]);
  // Only the last prompt token is evaluated again (for its logits).
  EXPECT_EQ(second.body["prompt_eval_count"], 1);
}

TEST_F(NativeApi, ChatStreamsAndAnswersWhole) {
  const json msgs = json::array({{{"role", "system"}, {"content", "You tell stories."}},
                                 {{"role", "user"}, {"content", "Once upon a time"}}});
  auto whole = post_json(*client_, "/api/chat",
                         {{"model", "stories"}, {"messages", msgs}, {"stream", false}, {"options", greedy_options(12)}});
  ASSERT_EQ(whole.status, 200) << whole.raw;
  EXPECT_EQ(whole.body["message"]["role"], "assistant");
  EXPECT_TRUE(whole.body["message"]["content"].is_string());
  EXPECT_LE(whole.body["eval_count"].get<int>(), 12);
  auto streamed = post_stream(*client_, "/api/chat", {{"model", "stories"}, {"messages", msgs}, {"options", greedy_options(12)}});
  const auto lines = ndjson_lines(streamed.body);
  std::string text;
  for (const auto& l : lines) text += l["message"]["content"].get<std::string>();
  EXPECT_EQ(text, whole.body["message"]["content"]);
  EXPECT_EQ(lines.back()["done"], true);
}

TEST_F(NativeApi, StopStringEndsGenerationWithoutPrintingIt) {
  const GreedyCase g = greedy_case("stories260K", 0);
  ASSERT_GT(g.text.size(), 20u);
  const std::string stop = g.text.substr(10, 6);  // inside the reference continuation
  auto r = post_json(*client_, "/api/generate",
                     {{"model", "stories"}, {"prompt", g.prompt}, {"raw", true}, {"stream", false},
                      {"options", {{"temperature", 0}, {"repeat_penalty", 1}, {"stop", {stop}}}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["response"], g.text.substr(0, g.text.find(stop)));
  EXPECT_EQ(r.body["done_reason"], "stop");
}

TEST_F(NativeApi, GenerateWithTemplateAndSystem) {
  auto r = post_json(*client_, "/api/generate",
                     {{"model", "stories"}, {"prompt", "a dog"}, {"system", "Tell"},
                      {"template", "{{ .System }} me about {{ .Prompt }}."}, {"stream", false},
                      {"options", greedy_options(3)}});
  ASSERT_EQ(r.status, 200) << r.raw;
  // Same as the raw prompt the template expands to.
  auto raw = post_json(*client_, "/api/generate",
                       {{"model", "stories"}, {"prompt", "Tell me about a dog."}, {"raw", true}, {"stream", false},
                        {"options", greedy_options(3)}});
  EXPECT_EQ(r.body["response"], raw.body["response"]);
  auto bad = post_json(*client_, "/api/generate",
                       {{"model", "stories"}, {"prompt", "x"}, {"template", "{{ range .Messages }}"}, {"stream", false}});
  EXPECT_EQ(bad.status, 400);
}

TEST_F(NativeApi, ErrorsHaveFittingStatusAndMessage) {
  auto unknown = post_json(*client_, "/api/generate", {{"model", "nope"}, {"prompt", "hi"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"], "model 'nope:latest' not found");
  auto chat_unknown = post_json(*client_, "/api/chat", {{"model", "nope"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}});
  EXPECT_EQ(chat_unknown.status, 404);

  auto res = client_->Post("/api/generate", "{not json", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(json::parse(res->body)["error"].is_string());

  auto no_model = post_json(*client_, "/api/generate", {{"prompt", "hi"}});
  EXPECT_EQ(no_model.status, 400);
  EXPECT_EQ(no_model.body["error"], "model is required");

  auto format = post_json(*client_, "/api/generate", {{"model", "llama"}, {"prompt", "hi"}, {"format", "xml"}});
  EXPECT_EQ(format.status, 400);
  EXPECT_NE(format.body["error"].get<std::string>().find("format"), std::string::npos);
  auto schema = post_json(*client_, "/api/generate",
                          {{"model", "llama"}, {"prompt", "hi"}, {"format", {{"type", "object"}, {"frobnicate", 1}}}});
  EXPECT_EQ(schema.status, 400);
  EXPECT_NE(schema.body["error"].get<std::string>().find("frobnicate"), std::string::npos);

  auto bad_option = post_json(*client_, "/api/generate",
                              {{"model", "llama"}, {"prompt", "hi"}, {"options", {{"temperature", "hot"}}}});
  EXPECT_EQ(bad_option.status, 400);
  EXPECT_NE(bad_option.body["error"].get<std::string>().find("options.temperature"), std::string::npos);

  auto images = post_json(*client_, "/api/generate", {{"model", "llama"}, {"prompt", "hi"}, {"images", {"aGk="}}});
  EXPECT_EQ(images.status, 400);

  auto keep = post_json(*client_, "/api/generate", {{"model", "llama"}, {"prompt", "hi"}, {"keep_alive", "soon"}});
  EXPECT_EQ(keep.status, 400);
  EXPECT_NE(keep.body["error"].get<std::string>().find("keep_alive"), std::string::npos);

  auto gen_on_encoder = post_json(*client_, "/api/generate", {{"model", "bge"}, {"prompt", "hi"}, {"stream", false}});
  EXPECT_EQ(gen_on_encoder.status, 400);
  auto embed_on_decoder = post_json(*client_, "/api/embed", {{"model", "llama"}, {"input", "hi"}});
  EXPECT_EQ(embed_on_decoder.status, 400);
  EXPECT_NE(embed_on_decoder.body["error"].get<std::string>().find("embedding"), std::string::npos);

  auto bad_messages = post_json(*client_, "/api/chat", {{"model", "llama"}, {"messages", "hello"}});
  EXPECT_EQ(bad_messages.status, 400);
}

TEST_F(NativeApi, FormatConstrainsTheOutputToTheSchema) {
  const json schema = {{"type", "object"},
                       {"properties", {{"name", {{"type", "string"}, {"maxLength", 12}}},
                                       {"age", {{"type", "integer"}, {"minimum", 0}, {"maximum", 150}}}}},
                       {"required", {"name", "age"}}};
  for (const char* model : {"llama", "stories"}) {
    auto r = post_json(*client_, "/api/chat",
                       {{"model", model}, {"messages", {{{"role", "user"}, {"content", "Who are you?"}}}},
                        {"format", schema}, {"stream", false},
                        {"options", {{"num_predict", 120}, {"temperature", 0.9}, {"seed", 3}}}});
    ASSERT_EQ(r.status, 200) << r.raw;
    const json out = json::parse(r.body["message"]["content"].get<std::string>(), nullptr, false);
    ASSERT_TRUE(out.is_object()) << model << ": " << r.body["message"]["content"];
    EXPECT_TRUE(out["name"].is_string());
    EXPECT_LE(out["name"].get<std::string>().size(), 12u * 4);  // characters, at most 4 bytes each
    ASSERT_TRUE(out["age"].is_number_integer());
    EXPECT_GE(out["age"].get<int>(), 0);
    EXPECT_LE(out["age"].get<int>(), 150);
  }
  auto any = post_json(*client_, "/api/generate",
                       {{"model", "stories"}, {"prompt", "Once"}, {"format", "json"}, {"stream", false},
                        {"options", {{"num_predict", 80}, {"seed", 5}}}});
  ASSERT_EQ(any.status, 200) << any.raw;
  EXPECT_TRUE(json::parse(any.body["response"].get<std::string>(), nullptr, false).is_object()) << any.body["response"];
}

// A `grammar` field (GBNF text) constrains the output like `format`; the two are exclusive, and a
// bad grammar is a 400 naming the field. Random seeds at temperature 1: the random-weight model
// would write anything without it.
TEST_F(NativeApi, GrammarFieldConstrainsTheOutput) {
  const std::string gbnf = "root ::= (\"yes\" | \"no\") \" \" [0-9] [0-9]?\n";
  const std::regex valid("(yes|no) [0-9][0-9]?");
  for (int seed = 1; seed <= 6; ++seed) {
    const char* route = seed % 2 ? "/api/generate" : "/api/chat";
    json body = {{"model", "llama"}, {"grammar", gbnf}, {"stream", seed % 3 == 0},
                 {"options", {{"num_predict", 16}, {"temperature", 1.0}, {"seed", seed}}}};
    if (seed % 2) body["prompt"] = "Answer:";
    else body["messages"] = {{{"role", "user"}, {"content", "Answer:"}}};
    auto r = post_json(*client_, route, body);
    ASSERT_EQ(r.status, 200) << r.raw;
    std::string text;
    if (seed % 3 == 0) {  // NDJSON: the pieces joined
      std::istringstream lines(r.raw);
      for (std::string line; std::getline(lines, line);) {
        const json j = json::parse(line);
        text += seed % 2 ? j.value("response", "") : j["message"].value("content", "");
      }
    } else {
      text = seed % 2 ? r.body["response"].get<std::string>() : r.body["message"]["content"].get<std::string>();
    }
    EXPECT_TRUE(std::regex_match(text, valid)) << route << " seed " << seed << ": '" << text << "'";
  }
  auto both = post_json(*client_, "/api/generate", {{"model", "llama"}, {"prompt", "hi"}, {"grammar", gbnf}, {"format", "json"}});
  EXPECT_EQ(both.status, 400);
  EXPECT_NE(both.body["error"].get<std::string>().find("grammar"), std::string::npos) << both.raw;
  auto bad = post_json(*client_, "/api/generate", {{"model", "llama"}, {"prompt", "hi"}, {"grammar", "root ::= missing"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"].get<std::string>().rfind("grammar: ", 0), 0u) << bad.raw;
  auto not_text = post_json(*client_, "/api/generate", {{"model", "llama"}, {"prompt", "hi"}, {"grammar", 7}});
  EXPECT_EQ(not_text.status, 400);
}

std::vector<float> normalized(std::vector<float> v) {
  double n = 0;
  for (float x : v) n += double(x) * x;
  n = std::sqrt(n);
  for (float& x : v) x = static_cast<float>(x / n);
  return v;
}

TEST_F(NativeApi, EmbeddingsMatchTheReference) {
  const json ref = json::parse(fixtures::read_file(fixtures::dir() / "models" / "bert-bge-f16.ref.json"));
  const auto& c0 = ref["cases"][0];
  const auto& c1 = ref["cases"][1];
  auto r = post_json(*client_, "/api/embed",
                     {{"model", "bge"}, {"input", {c0["prompt"], c1["prompt"]}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["embeddings"].size(), 2u);
  EXPECT_EQ(r.body["prompt_eval_count"], c0["tokens"].size() + c1["tokens"].size());
  for (size_t k = 0; k < 2; ++k) {
    const auto expected = normalized(ref["cases"][k]["embedding"].get<std::vector<float>>());
    const auto got = r.body["embeddings"][k].get<std::vector<float>>();
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 2e-3) << k << " " << i;
  }
  auto legacy = post_json(*client_, "/api/embeddings", {{"model", "bge"}, {"prompt", c0["prompt"]}});
  ASSERT_EQ(legacy.status, 200) << legacy.raw;
  const auto raw = c0["embedding"].get<std::vector<float>>();
  const auto got = legacy.body["embedding"].get<std::vector<float>>();
  ASSERT_EQ(got.size(), raw.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], raw[i], 2e-2 + 2e-2 * std::fabs(raw[i]));
  auto bad = post_json(*client_, "/api/embed", {{"model", "bge"}, {"input", 42}});
  EXPECT_EQ(bad.status, 400);
}

TEST_F(NativeApi, TokenizeAndDetokenize) {
  const json ref = json::parse(fixtures::read_file(fixtures::dir() / "models" / "llama-spm-q8_0.ref.json"));
  const auto& c = ref["cases"][1];
  auto t = post_json(*client_, "/api/tokenize", {{"model", "llama"}, {"content", c["prompt"]}, {"add_special", true}});
  ASSERT_EQ(t.status, 200) << t.raw;
  EXPECT_EQ(t.body["tokens"], c["tokens"]);
  auto d = post_json(*client_, "/api/detokenize", {{"model", "llama"}, {"tokens", c["tokens"]}});
  ASSERT_EQ(d.status, 200);
  EXPECT_NE(d.body["content"].get<std::string>().find(c["prompt"].get<std::string>().substr(0, 20)), std::string::npos);
  auto bad = post_json(*client_, "/api/detokenize", {{"model", "llama"}, {"tokens", {1, 999999}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"].get<std::string>().find("tokens[1]"), std::string::npos);
}

TEST_F(NativeApi, PsShowsLoadedModelsAndKeepAliveZeroUnloads) {
  auto load = post_json(*client_, "/api/generate", {{"model", "qwen"}});
  ASSERT_EQ(load.status, 200) << load.raw;
  EXPECT_EQ(load.body["done_reason"], "load");
  auto ps = get_json(*client_, "/api/ps");
  ASSERT_EQ(ps.status, 200);
  bool found = false;
  for (const auto& m : ps.body["models"]) found |= m["name"] == "qwen:latest";
  EXPECT_TRUE(found) << ps.raw;
  auto unload = post_json(*client_, "/api/generate", {{"model", "qwen"}, {"keep_alive", 0}});
  EXPECT_EQ(unload.body["done_reason"], "unload");
  ps = get_json(*client_, "/api/ps");
  for (const auto& m : ps.body["models"]) EXPECT_NE(m["name"], "qwen:latest");
}

TEST_F(NativeApi, MetricsInPrometheusText) {
  post_json(*client_, "/api/generate",
            {{"model", "stories"}, {"prompt", "Hi"}, {"raw", true}, {"stream", false}, {"options", greedy_options(2)}});
  // A request is counted when its response has been written (the server's logger hook), which can
  // be just after the client has read it: wait, bounded, for the count to show.
  std::string body;
  for (int i = 0; i < 100; ++i) {
    auto m = client_->Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, 200);
    body = m->body;
    if (body.find("model=\"stories\"") != std::string::npos) break;  // the generate request counted
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(body.find("# TYPE airlock_requests_total counter"), std::string::npos);
  EXPECT_NE(body.find("airlock_requests_total{status=\"200\"}"), std::string::npos);
  EXPECT_NE(body.find("airlock_request_duration_seconds_bucket{model=\"stories\",le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(body.find("airlock_loaded_models "), std::string::npos);
  EXPECT_EQ(body.find("airlock_generated_tokens_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace airlock::server::testing
