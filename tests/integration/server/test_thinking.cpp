// Thinking models through /api/chat, /api/generate and /v1/chat/completions: the qwen fixture
// with the DeepSeek-R1 distill template (its generation prompt opens <think>) and with a
// Qwen3-style template that reads enable_thinking. The weights are random, so what is checked is
// how the output is divided: the tokens the server reports (logprobs), joined, are the thinking,
// the closing tag and the answer; streamed pieces add up to the whole; think false renders the
// no-think variant (counted in prompt tokens) or drops the block; a format constrains the answer
// only, never the thinking; /api/show lists the capability; bad values answer 400.
#include <gtest/gtest.h>

#include <algorithm>

#include "server_harness.h"
#include "store/store.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Qwen3's no-think switch, as its template writes it after the generation prompt.
const char* kQwen3Style =
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n"
    "{%- if m.reasoning_content is defined %}<think>\n{{ m.reasoning_content }}\n</think>\n\n{%- endif %}"
    "{{ m.content }}<|im_end|>\n{%- endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n"
    "{%- if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{%- endif %}{%- endif %}";

class Thinking : public FixtureServerTest<Thinking> {
 protected:
  static void SetUpTestSuite() {
    if (!fixtures::present()) return;
    dir_ = new TempDir();
    import_fixture_models(dir_->path());
    TempDir scratch;
    const fs::path qwen = fixtures::dir() / "models" / "qwen2-gpt2-q4_k_m.gguf";
    write_with_template(qwen, scratch.path() / "r1.gguf",
                        fixtures::read_file(fixtures::dir() / "templates" / "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"));
    write_with_template(qwen, scratch.path() / "q3.gguf", kQwen3Style);
    store::Store st(dir_->path());
    st.import_gguf(scratch.path() / "r1.gguf", "r1", {"test", nullptr, nullptr});
    st.import_gguf(scratch.path() / "q3.gguf", "q3", {"test", nullptr, nullptr});
    server_ = new RunningServer(dir_->path());
  }
};

const json kHello = json::array({{{"role", "user"}, {"content", "Hello"}}});

std::string trim_left(const std::string& s) {
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

// The generated text from the reported tokens, divided as the server must: the prompt opened the
// block, so everything before "</think>" is thinking and what follows it (trimmed) the answer.
std::pair<std::string, std::string> expected_split(const json& logprobs) {
  std::string raw;
  for (const json& e : logprobs) raw += e["token"].get<std::string>();
  const size_t close = raw.find("</think>");
  if (close == std::string::npos) return {raw, ""};
  return {raw.substr(0, close), trim_left(raw.substr(close + 8))};
}

TEST_F(Thinking, ShowListsTheCapability) {
  auto caps = [&](const char* model) { return post_json(*client_, "/api/show", {{"model", model}}).body["capabilities"]; };
  for (const char* m : {"r1", "q3"}) {
    const json c = caps(m);
    EXPECT_NE(std::find(c.begin(), c.end(), "thinking"), c.end()) << m << c;
  }
  const json llama = caps("llama");
  EXPECT_EQ(std::find(llama.begin(), llama.end(), "thinking"), llama.end()) << llama;
  EXPECT_EQ(caps("bge"), json::array({"embedding"}));
}

TEST_F(Thinking, TheBlockComesBackAsThinkingWholeAndStreamed) {
  const json body = {{"model", "r1"}, {"messages", kHello}, {"think", true}, {"stream", false}, {"logprobs", true},
                     {"options", {{"temperature", 0.9}, {"seed", 11}, {"num_predict", 24}}}};
  auto r = post_json(*client_, "/api/chat", body);
  ASSERT_EQ(r.status, 200) << r.raw;
  const auto [thinking, answer] = expected_split(r.body["logprobs"]);
  ASSERT_FALSE(thinking.empty());
  EXPECT_EQ(r.body["message"].value("thinking", ""), thinking) << r.raw;
  EXPECT_EQ(r.body["message"]["content"], answer) << r.raw;

  json sb = body;
  sb["stream"] = true;
  auto s = post_stream(*client_, "/api/chat", sb);
  std::string st, sa;
  for (const json& line : ndjson_lines(s.body)) {
    st += line["message"].value("thinking", "");
    sa += line["message"].value("content", "");
  }
  EXPECT_EQ(st, thinking);
  EXPECT_EQ(sa, answer);

  // /api/generate: the same division, at the top level; "high" means true.
  auto g = post_json(*client_, "/api/generate", {{"model", "r1"}, {"prompt", "Hello"}, {"think", "high"}, {"stream", false},
                                                 {"logprobs", true}, {"options", body["options"]}});
  ASSERT_EQ(g.status, 200) << g.raw;
  const auto [gt, ga] = expected_split(g.body["logprobs"]);
  EXPECT_EQ(g.body.value("thinking", ""), gt);
  EXPECT_EQ(g.body["response"], ga);
}

TEST_F(Thinking, OpenAiReasoningContentWholeAndStreamed) {
  const json body = {{"model", "r1"}, {"messages", kHello}, {"temperature", 0}, {"max_tokens", 16},
                     {"reasoning_effort", "medium"}, {"logprobs", true}};
  auto r = post_json(*client_, "/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.raw;
  const auto [thinking, answer] = expected_split(r.body["choices"][0]["logprobs"]["content"]);
  const json& msg = r.body["choices"][0]["message"];
  EXPECT_EQ(msg.value("reasoning_content", ""), thinking) << r.raw;
  EXPECT_EQ(msg["content"], answer);
  json sb = body;
  sb["stream"] = true;
  auto s = post_stream(*client_, "/v1/chat/completions", sb);
  std::string st, sa;
  for (const std::string& e : sse_payloads(s.body)) {
    if (e == "[DONE]") continue;
    const json d = json::parse(e)["choices"][0]["delta"];
    st += d.value("reasoning_content", "");
    if (d.contains("content") && d["content"].is_string()) sa += d["content"].get<std::string>();
  }
  EXPECT_EQ(st, thinking);
  EXPECT_EQ(sa, answer);
}

TEST_F(Thinking, ThinkFalseWithoutANoThinkVariantDropsTheBlock) {
  auto r = post_json(*client_, "/api/chat", {{"model", "r1"}, {"messages", kHello}, {"think", false}, {"stream", false},
                                             {"logprobs", true}, {"options", {{"temperature", 0.9}, {"seed", 11}, {"num_predict", 24}}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_FALSE(r.body["message"].contains("thinking")) << r.raw;
  EXPECT_EQ(r.body["message"]["content"], expected_split(r.body["logprobs"]).second);
}

TEST_F(Thinking, ThinkFalseRendersTheTemplatesNoThinkVariant) {
  auto prompt_tokens = [&](const json& effort) {
    json body = {{"model", "q3"}, {"messages", kHello}, {"max_tokens", 4}, {"temperature", 0}};
    if (!effort.is_null()) body["reasoning_effort"] = effort;
    auto r = post_json(*client_, "/v1/chat/completions", body);
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body["usage"]["prompt_tokens"].get<size_t>();
  };
  // enable_thinking false adds the closed block to the prompt; unset or true leaves it out.
  const size_t none = prompt_tokens("none"), high = prompt_tokens("high"), unset = prompt_tokens(nullptr);
  EXPECT_GT(none, high);
  EXPECT_EQ(unset, high);
}

// An earlier turn's thinking reaches the template: native `thinking` as reasoning_content.
TEST_F(Thinking, EarlierThinkingReachesTheTemplate) {
  auto prompt_tokens = [&](const json& assistant) {
    const json messages = {{{"role", "user"}, {"content", "Hi"}}, assistant, {{"role", "user"}, {"content", "And?"}}};
    auto r = post_json(*client_, "/v1/chat/completions", {{"model", "q3"}, {"messages", messages}, {"max_tokens", 1}});
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body["usage"]["prompt_tokens"].get<size_t>();
  };
  const json plain = {{"role", "assistant"}, {"content", "Hello"}};
  json openai = plain, native = plain;
  openai["reasoning_content"] = "greet back";
  native["thinking"] = "greet back";
  EXPECT_GT(prompt_tokens(openai), prompt_tokens(plain));
  EXPECT_EQ(prompt_tokens(native), prompt_tokens(openai));
}

TEST_F(Thinking, AFormatConstrainsTheAnswerNeverTheThinking) {
  const json options = {{"temperature", 0.9}, {"seed", 5}, {"num_predict", 20}};
  json body = {{"model", "r1"}, {"messages", kHello}, {"think", true}, {"stream", false}, {"options", options}};
  auto free = post_json(*client_, "/api/chat", body);
  body["format"] = "json";
  auto constrained = post_json(*client_, "/api/chat", body);
  ASSERT_EQ(free.status, 200) << free.raw;
  ASSERT_EQ(constrained.status, 200) << constrained.raw;
  // Sampled alike until the block closes: the mask did not touch it.
  const std::string a = free.body["message"].value("thinking", ""), b = constrained.body["message"].value("thinking", "");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a.substr(0, std::min(a.size(), b.size())), b.substr(0, std::min(a.size(), b.size())));

  // No block in the prompt (q3 thinking): the constraint holds from the first answer token.
  auto q3 = post_json(*client_, "/api/chat", {{"model", "q3"}, {"messages", kHello}, {"think", true}, {"stream", false},
                                              {"format", "json"}, {"options", {{"temperature", 0.9}, {"seed", 5}, {"num_predict", 40}}}});
  ASSERT_EQ(q3.status, 200) << q3.raw;
  const std::string content = q3.body["message"]["content"];
  EXPECT_TRUE(json::accept(content)) << q3.raw;
}

TEST_F(Thinking, BadThinkValuesAnswer400) {
  auto bad = post_json(*client_, "/api/chat", {{"model", "r1"}, {"messages", kHello}, {"think", "very"}, {"stream", false}});
  EXPECT_EQ(bad.status, 400) << bad.raw;
  EXPECT_NE(bad.raw.find("think"), std::string::npos);
  auto unsupported = post_json(*client_, "/api/generate", {{"model", "llama"}, {"prompt", "hi"}, {"think", true}, {"stream", false}});
  EXPECT_EQ(unsupported.status, 400) << unsupported.raw;
  EXPECT_NE(unsupported.raw.find("does not support thinking"), std::string::npos) << unsupported.raw;
  auto effort = post_json(*client_, "/v1/chat/completions", {{"model", "r1"}, {"messages", kHello}, {"reasoning_effort", 3}});
  EXPECT_EQ(effort.status, 400) << effort.raw;
  EXPECT_NE(effort.raw.find("reasoning_effort"), std::string::npos) << effort.raw;
}

}  // namespace
}  // namespace airlock::server::testing
