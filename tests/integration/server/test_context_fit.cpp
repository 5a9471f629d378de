// The familiar server's `truncate` and `shift` on /api/generate and /api/chat, on a real server
// over the fixture models: a full context shifts by default and the text is the library Session's
// (the engine's other shifting loop, with its own tests against freshly evaluated keys); shift
// false ends the answer as the context fills; an overlong prompt is cut to fit by default and
// refused with truncate false.
#include <gtest/gtest.h>

#include "airlock/airlock.h"
#include "server_harness.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

class ContextFit : public FixtureServerTest<ContextFit> {
 protected:
  JsonReply generate(const json& extra, const json& options) {
    json body = {{"model", "stories"}, {"prompt", "Once upon a time"}, {"raw", true}, {"stream", false},
                 {"options", options}};
    body.update(extra);
    return post_json(*client_, "/api/generate", body);
  }
  // The library's greedy run of the same prompt in a context of n_ctx.
  static GenerateResult session_run(int64_t n_ctx, bool shift, int64_t num_predict) {
    auto m = Model::load(fixtures::dir() / "models" / "stories260K.gguf", {.n_ctx = n_ctx, .n_threads = 1});
    auto s = m->new_session();
    GenerateOptions o;
    o.sampling.temperature = 0;
    o.sampling.repeat_penalty = 1.0f;
    o.num_predict = num_predict;
    o.context_shift = shift;
    o.n_keep = 1;  // the BOS, what the server keeps of a raw prompt
    return s->generate(m->tokenize("Once upon a time"), o, nullptr);
  }
  static json greedy(int64_t n_ctx, int64_t num_predict) {
    return {{"num_ctx", n_ctx}, {"num_predict", num_predict}, {"temperature", 0}, {"repeat_penalty", 1}};
  }
};

TEST_F(ContextFit, ShiftIsTheDefaultAndGoesOnAsTheLibrarySessionDoes) {
  const GenerateResult expected = session_run(24, true, 100);
  ASSERT_GE(expected.context_shifts, 4);
  for (const json& extra : {json::object(), json{{"shift", true}}}) {
    auto r = generate(extra, greedy(24, 100));
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["eval_count"], 100);
    EXPECT_EQ(r.body["done_reason"], "length");  // num_predict, not the context
    EXPECT_EQ(r.body["response"], expected.text);
  }
  json body = {{"model", "stories"}, {"prompt", "Once upon a time"}, {"raw", true}, {"options", greedy(24, 100)}};
  std::string streamed;
  for (const auto& line : ndjson_lines(post_stream(*client_, "/api/generate", body).body))
    streamed += line.value("response", "");
  EXPECT_EQ(streamed, expected.text);
}

TEST_F(ContextFit, ShiftFalseEndsTheAnswerWhenTheContextFills) {
  const GenerateResult expected = session_run(24, false, 100);
  ASSERT_EQ(expected.done_reason, "length");
  auto r = generate({{"shift", false}}, greedy(24, 100));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["done_reason"], "length");
  EXPECT_EQ(r.body["eval_count"], static_cast<int64_t>(expected.tokens.size()));
  EXPECT_EQ(r.body["response"], expected.text);
  // The chat route maps it the same way.
  auto chat = post_json(*client_, "/api/chat",
                        {{"model", "stories"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"stream", false},
                         {"shift", false}, {"options", greedy(64, 500)}});
  ASSERT_EQ(chat.status, 200) << chat.raw;
  EXPECT_EQ(chat.body["done_reason"], "length");
  EXPECT_LT(chat.body["eval_count"].get<int64_t>(), 64);
}

TEST_F(ContextFit, AnOverlongPromptIsCutByDefaultAndRefusedWithTruncateFalse) {
  std::string story;
  for (int i = 0; i < 40; ++i) story += "The cat sat on the mat. ";
  const json messages = {{{"role", "system"}, {"content", "Answer briefly."}}, {{"role", "user"}, {"content", story}}};
  json body = {{"model", "stories"}, {"messages", messages}, {"stream", false}, {"options", greedy(96, 8)}};
  auto cut = post_json(*client_, "/api/chat", body);
  ASSERT_EQ(cut.status, 200) << cut.raw;
  EXPECT_EQ(cut.body["eval_count"], 8);
  // Cut to leave num_predict positions for the answer: 96 - 8 prompt tokens (none reused: this
  // context size is loaded for this test alone).
  EXPECT_EQ(cut.body["prompt_eval_count"], 88);

  body["truncate"] = false;
  auto refused = post_json(*client_, "/api/chat", body);
  EXPECT_EQ(refused.status, 400) << refused.raw;
  const std::string error = refused.body.value("error", "");
  EXPECT_TRUE(error.starts_with("the prompt is ") && error.ends_with(" tokens, the context holds 96")) << error;
  auto gen = generate({{"prompt", story}, {"truncate", false}}, greedy(96, 8));
  EXPECT_EQ(gen.status, 400) << gen.raw;
  EXPECT_EQ(generate({{"prompt", story}}, greedy(96, 8)).status, 200);
}

TEST_F(ContextFit, BadValuesAre400) {
  for (const json& extra : {json{{"truncate", "yes"}}, json{{"shift", 1}}}) {
    auto r = generate(extra, greedy(24, 4));
    EXPECT_EQ(r.status, 400) << r.raw;
    EXPECT_NE(r.body.value("error", "").find(extra.begin().key()), std::string::npos) << r.raw;
  }
  json options = greedy(24, 4);
  options["num_keep"] = -2;
  auto r = generate(json::object(), options);
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_NE(r.body.value("error", "").find("options.num_keep"), std::string::npos) << r.raw;
}

}  // namespace
}  // namespace airlock::server::testing
