// `suffix` (fill-in-the-middle) on /api/generate and /v1/completions. "coder" is the qwen fixture
// whose metadata names three of its tokens as the FIM tokens (its GPT-2 vocabulary has no FIM
// tokens of its own; digits, which its pre-tokenizer never merges with the letters, newlines and
// spaces around them, so the hand-written layout below tokenizes to the same ids); a suffix request
// must answer exactly as that raw prompt <pre> prefix <suf> suffix <mid> does. A model without FIM
// tokens answers 400.
#include <gtest/gtest.h>

#include <algorithm>

#include "gguf/gguf.h"
#include "gguf/writer.h"
#include "server_harness.h"
#include "store/store.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const char* kFimSpellings[] = {"7", "8", "9"};  // as pre, suf, mid

class FillInMiddle : public FixtureServerTest<FillInMiddle> {
 protected:
  static void SetUpTestSuite() {
    if (!fixtures::present()) return;
    dir_ = new TempDir();
    import_fixture_models(dir_->path());
    TempDir scratch;
    auto f = gguf::File::open(fixtures::dir() / "models" / "qwen2-gpt2-q4_k_m.gguf");
    const auto tokens = *f->get_strings("tokenizer.ggml.tokens");
    std::vector<gguf::KeyValue> kv(f->metadata().begin(), f->metadata().end());
    const char* keys[] = {"tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.fim_suf_token_id",
                          "tokenizer.ggml.fim_mid_token_id"};
    for (int i = 0; i < 3; ++i) {
      const auto at = std::find(tokens.begin(), tokens.end(), kFimSpellings[i]);
      ASSERT_NE(at, tokens.end()) << kFimSpellings[i];
      kv.push_back({keys[i], gguf::Value::of_u32(static_cast<uint32_t>(at - tokens.begin()))});
    }
    std::vector<gguf::TensorToWrite> tensors;
    for (const auto& t : f->tensors())
      tensors.push_back({t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims),
                         std::span<const uint8_t>(t.data, t.nbytes), {}});
    gguf::write_file(scratch.path() / "coder.gguf", kv, tensors);
    store::Store(dir_->path()).import_gguf(scratch.path() / "coder.gguf", "coder", {"test", nullptr, nullptr});
    server_ = new RunningServer(dir_->path());
  }
};

const std::string kPrefix = "x = a\n", kSuffix = "\ny = b\n";

TEST_F(FillInMiddle, SuffixAnswersAsTheHandWrittenLayout) {
  const json options = {{"temperature", 0}, {"num_predict", 12}};
  auto fim = post_json(*client_, "/api/generate", {{"model", "coder"}, {"prompt", kPrefix}, {"suffix", kSuffix},
                                                   {"stream", false}, {"options", options}});
  ASSERT_EQ(fim.status, 200) << fim.raw;
  const std::string layout = std::string(kFimSpellings[0]) + kPrefix + kFimSpellings[1] + kSuffix + kFimSpellings[2];
  auto raw = post_json(*client_, "/api/generate", {{"model", "coder"}, {"prompt", layout}, {"raw", true},
                                                   {"stream", false}, {"options", options}});
  ASSERT_EQ(raw.status, 200) << raw.raw;
  EXPECT_EQ(fim.body["response"], raw.body["response"]);
  EXPECT_EQ(fim.body["eval_count"], raw.body["eval_count"]);

  auto oa = post_json(*client_, "/v1/completions", {{"model", "coder"}, {"prompt", kPrefix}, {"suffix", kSuffix},
                                                    {"temperature", 0}, {"max_tokens", 12}});
  ASSERT_EQ(oa.status, 200) << oa.raw;
  EXPECT_EQ(oa.body["choices"][0]["text"], raw.body["response"]);
  auto count = post_json(*client_, "/api/tokenize", {{"model", "coder"}, {"content", kPrefix}});
  auto count_suffix = post_json(*client_, "/api/tokenize", {{"model", "coder"}, {"content", kSuffix}});
  EXPECT_EQ(oa.body["usage"]["prompt_tokens"], 3 + count.body["tokens"].size() + count_suffix.body["tokens"].size());
}

TEST_F(FillInMiddle, AModelWithoutFimTokensAnswers400) {
  auto native = post_json(*client_, "/api/generate", {{"model", "stories"}, {"prompt", "a"}, {"suffix", "b"}, {"stream", false}});
  EXPECT_EQ(native.status, 400) << native.raw;
  EXPECT_NE(native.raw.find("fill-in-the-middle"), std::string::npos) << native.raw;
  auto oa = post_json(*client_, "/v1/completions", {{"model", "stories"}, {"prompt", "a"}, {"suffix", "b"}});
  EXPECT_EQ(oa.status, 400) << oa.raw;
  auto bad = post_json(*client_, "/api/generate", {{"model", "coder"}, {"prompt", "a"}, {"suffix", 3}, {"stream", false}});
  EXPECT_EQ(bad.status, 400) << bad.raw;
}

// truncate and shift are accepted as the familiar clients send them; a wrong type is 400.
TEST_F(FillInMiddle, TruncateAndShiftAreAcceptedAndTypeChecked) {
  for (const char* field : {"truncate", "shift"}) {
    for (bool v : {true, false}) {
      auto ok = post_json(*client_, "/api/chat", {{"model", "stories"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                                                  {field, v}, {"stream", false}, {"options", {{"num_predict", 2}}}});
      EXPECT_EQ(ok.status, 200) << field << ok.raw;
    }
    auto bad = post_json(*client_, "/api/generate", {{"model", "stories"}, {"prompt", "hi"}, {field, "yes"}, {"stream", false}});
    EXPECT_EQ(bad.status, 400) << field << bad.raw;
    EXPECT_NE(bad.raw.find(field), std::string::npos) << bad.raw;
  }
}

}  // namespace
}  // namespace airlock::server::testing
