#include <airlock/error.h>
#include <gtest/gtest.h>

#include "store/model_ref.h"

using airlock::Error;
using airlock::store::ModelRef;

TEST(ModelRef, DefaultsFillHostNamespaceAndTag) {
  auto r = ModelRef::parse("llama3");
  EXPECT_EQ(r.host, "registry.ollama.ai");
  EXPECT_EQ(r.ns, "library");
  EXPECT_EQ(r.model, "llama3");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.display(), "llama3:latest");
  EXPECT_EQ(r.manifest_path(), "registry.ollama.ai/library/llama3/latest");
}

TEST(ModelRef, NamespaceHostAndPort) {
  auto r = ModelRef::parse("me/tiny:q8_0");
  EXPECT_EQ(r.ns, "me");
  EXPECT_EQ(r.tag, "q8_0");
  EXPECT_EQ(r.display(), "me/tiny:q8_0");
  auto h = ModelRef::parse("reg.local:5000/team/m:v1.2");
  EXPECT_EQ(h.host, "reg.local:5000");
  EXPECT_EQ(h.ns, "team");
  EXPECT_EQ(h.model, "m");
  EXPECT_EQ(h.tag, "v1.2");
  EXPECT_EQ(h.display(), "reg.local:5000/team/m:v1.2");
  EXPECT_EQ(ModelRef::parse(h.full()), h);
}

TEST(ModelRef, RoundTripsThroughManifestPath) {
  auto r = ModelRef::parse("me/tiny:v2");
  EXPECT_EQ(ModelRef::from_manifest_path(r.manifest_path()), r);
}

TEST(ModelRef, RefusesUnsafeNames) {
  for (const char* bad : {"", ":x", "a:", "../etc", "a/../b", "..", ".hidden", "a b", "a/b/c/d",
                          "x/.y", "m:../../t", "a\\b", "a/", "/a"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(ModelRef::parse(bad), Error);
  }
}
