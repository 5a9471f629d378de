#include <airlock/error.h>
#include <gtest/gtest.h>

#include "store/approved_list.h"
#include "store/manifest.h"

using namespace airlock;
using namespace airlock::store;

namespace {
const std::string kDigest = "sha256:" + std::string(64, 'a');
}

TEST(Manifest, ParsesDockerV2WithOllamaLayers) {
  std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kDigest + R"(","size":12},
    "layers":[{"mediaType":"application/vnd.ollama.image.model","digest":")" + kDigest + R"(","size":1000},
              {"mediaType":"application/vnd.ollama.image.template","digest":")" + kDigest + R"(","size":5}]})";
  auto m = Manifest::parse(text, "t");
  EXPECT_EQ(m.layers.size(), 2u);
  ASSERT_TRUE(m.find(media::kTemplate));
  EXPECT_EQ(m.find(media::kTemplate)->size, 5u);
  EXPECT_EQ(m.total_size(), 1017u);
  EXPECT_EQ(Manifest::parse(m.serialize(), "again").serialize(), m.serialize());
}

TEST(Manifest, RefusesMalformed) {
  for (const std::string& bad : std::vector<std::string>{"not json", "[]", R"({"schemaVersion":1})",
                          R"({"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:12","size":1},"layers":[]})",
                          R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kDigest +
                              R"(","size":-1},"layers":[]})",
                          R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kDigest + R"(","size":1}})"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(Manifest::parse(bad, "m"), Error);
  }
}

TEST(ApprovedList, ParsesNamesAndDigests) {
  auto l = parse_approved_list("# site list\n\nllama3 " + std::string(64, 'b') + "\nme/x:v1 " + kDigest + "\n", "a");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].first, "llama3");
  EXPECT_EQ(l[0].second, "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(l[1].second, kDigest);
  EXPECT_THROW(parse_approved_list("llama3\n", "a"), Error);
  EXPECT_THROW(parse_approved_list("llama3 1234\n", "a"), Error);
  EXPECT_THROW(parse_approved_list("../x " + kDigest + "\n", "a"), Error);
}
