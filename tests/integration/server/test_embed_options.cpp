// Embedding request fields beyond the input: `dimensions` (the vector's prefix, unit length again)
// on /api/embed and /v1/embeddings with batch input, base64 encoding of the same floats, and
// `truncate: false` refusing an input longer than the context. Expected values are computed here
// from the full-length vectors the server returns, never written in.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "server_harness.h"
#include "support/fixtures.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

class EmbedOptions : public FixtureServerTest<EmbedOptions> {};

std::vector<float> prefix_unit(const json& full, size_t n) {
  std::vector<float> v;
  double norm = 0;
  for (size_t i = 0; i < n; ++i) {
    v.push_back(full[i].get<float>());
    norm += static_cast<double>(v.back()) * v.back();
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

std::vector<float> from_base64(const std::string& s) {
  auto value = [](char c) -> uint32_t {
    if (c >= 'A' && c <= 'Z') return static_cast<uint32_t>(c - 'A');
    if (c >= 'a' && c <= 'z') return static_cast<uint32_t>(c - 'a' + 26);
    if (c >= '0' && c <= '9') return static_cast<uint32_t>(c - '0' + 52);
    return c == '+' ? 62u : 63u;
  };
  std::string bytes;
  for (size_t i = 0; i + 3 < s.size(); i += 4) {
    const uint32_t v = value(s[i]) << 18 | value(s[i + 1]) << 12 | (s[i + 2] == '=' ? 0 : value(s[i + 2]) << 6) |
                       (s[i + 3] == '=' ? 0 : value(s[i + 3]));
    bytes += static_cast<char>(v >> 16);
    if (s[i + 2] != '=') bytes += static_cast<char>((v >> 8) & 255);
    if (s[i + 3] != '=') bytes += static_cast<char>(v & 255);
  }
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);  // little-endian, as this machine
  return out;
}

void expect_close(const json& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i].get<float>(), want[i], 1e-5) << i;
}

const json kInputs = {"The sky is blue.", "Grass is green and the sun is warm."};

TEST_F(EmbedOptions, NativeDimensionsCutEachVectorOfABatchAndRenormalise) {
  auto full = post_json(*client_, "/api/embed", {{"model", "bge"}, {"input", kInputs}});
  ASSERT_EQ(full.status, 200) << full.raw;
  const size_t n = full.body["embeddings"][0].size();
  ASSERT_GT(n, 16u);
  auto cut = post_json(*client_, "/api/embed", {{"model", "bge"}, {"input", kInputs}, {"dimensions", 16}});
  ASSERT_EQ(cut.status, 200) << cut.raw;
  ASSERT_EQ(cut.body["embeddings"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) expect_close(cut.body["embeddings"][i], prefix_unit(full.body["embeddings"][i], 16));
  // All of them: the same vector.
  auto all = post_json(*client_, "/api/embed", {{"model", "bge"}, {"input", kInputs}, {"dimensions", n}});
  ASSERT_EQ(all.status, 200) << all.raw;
  expect_close(all.body["embeddings"][1], prefix_unit(full.body["embeddings"][1], n));
}

TEST_F(EmbedOptions, OpenAiDimensionsWithFloatAndBase64) {
  auto full = post_json(*client_, "/v1/embeddings", {{"model", "bge"}, {"input", kInputs}});
  ASSERT_EQ(full.status, 200) << full.raw;
  auto cut = post_json(*client_, "/v1/embeddings", {{"model", "bge"}, {"input", kInputs}, {"dimensions", 8}});
  ASSERT_EQ(cut.status, 200) << cut.raw;
  auto b64 = post_json(*client_, "/v1/embeddings",
                       {{"model", "bge"}, {"input", kInputs}, {"dimensions", 8}, {"encoding_format", "base64"}});
  ASSERT_EQ(b64.status, 200) << b64.raw;
  for (size_t i = 0; i < 2; ++i) {
    const std::vector<float> want = prefix_unit(full.body["data"][i]["embedding"], 8);
    expect_close(cut.body["data"][i]["embedding"], want);
    expect_close(json(from_base64(b64.body["data"][i]["embedding"])), want);
  }
}

TEST_F(EmbedOptions, BadDimensionsAnswer400) {
  for (const char* path : {"/api/embed", "/v1/embeddings"})
    for (const json& bad : {json(0), json(-3), json("8"), json(2.5), json(1 << 20)}) {
      auto r = post_json(*client_, path, {{"model", "bge"}, {"input", "hello"}, {"dimensions", bad}});
      EXPECT_EQ(r.status, 400) << path << " " << bad << " " << r.raw;
      EXPECT_NE(r.raw.find("dimensions"), std::string::npos) << r.raw;
    }
}

TEST_F(EmbedOptions, TruncateFalseRefusesAnInputLongerThanTheContext) {
  std::string long_text;
  for (int i = 0; i < 3000; ++i) long_text += "word ";
  for (const char* path : {"/api/embed", "/v1/embeddings"}) {
    auto refused = post_json(*client_, path, {{"model", "bge"}, {"input", {"short", long_text}}, {"truncate", false}});
    EXPECT_EQ(refused.status, 400) << path << " " << refused.raw.substr(0, 300);
    EXPECT_NE(refused.raw.find("the context holds"), std::string::npos) << refused.raw.substr(0, 300);
    auto cut = post_json(*client_, path, {{"model", "bge"}, {"input", long_text}});
    EXPECT_EQ(cut.status, 200) << path << " " << cut.raw.substr(0, 300);
  }
}

}  // namespace
}  // namespace airlock::server::testing
