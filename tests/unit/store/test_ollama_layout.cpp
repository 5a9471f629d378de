// A store laid out by hand the way the familiar local model server writes one (as if copied from a
// connected machine) is read as is, and models can be copied out of it by name.
#include <airlock/error.h>
#include <gtest/gtest.h>

#include "store/store.h"
#include "store_testing.h"
#include "support/fixtures.h"

using namespace airlock;
using namespace airlock::store;
using namespace airlock::store_testing;
namespace fs = std::filesystem;

namespace {
struct HandBuilt {
  std::string manifest, manifest_digest, model_digest, template_text = "{{ .Prompt }}";
};

std::string add_blob(const fs::path& store, const std::string& bytes) {
  std::string d = reference_sha256(bytes);
  spit(store / "blobs" / ("sha256-" + d.substr(7)), bytes);
  return d;
}

HandBuilt build_foreign_store(const fs::path& store) {
  HandBuilt h;
  std::string model = slurp(fixtures::dir() / "models/stories260K.gguf");
  h.model_digest = add_blob(store, model);
  std::string config = R"({"model_format":"gguf","model_family":"llama","model_families":["llama"],)"
                       R"("model_type":"292.80K","file_type":"F32","architecture":"amd64","os":"linux",)"
                       R"("rootfs":{"type":"layers","diff_ids":[]}})";
  std::string params = R"({"stop":["<|end|>"],"temperature":0.7})";
  std::string cd = add_blob(store, config), td = add_blob(store, h.template_text), pd = add_blob(store, params);
  h.manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
               R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + cd +
               R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[)"
               R"({"mediaType":"application/vnd.ollama.image.model","digest":")" + h.model_digest +
               R"(","size":)" + std::to_string(model.size()) + R"(},)"
               R"({"mediaType":"application/vnd.ollama.image.template","digest":")" + td +
               R"(","size":)" + std::to_string(h.template_text.size()) + R"(},)"
               R"({"mediaType":"application/vnd.ollama.image.params","digest":")" + pd +
               R"(","size":)" + std::to_string(params.size()) + R"(}]})";
  h.manifest_digest = reference_sha256(h.manifest);
  spit(store / "manifests/registry.ollama.ai/library/stories/260k", h.manifest);
  return h;
}
}  // namespace

TEST(OllamaLayout, HandBuiltStoreIsServedAsIs) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir d;
  HandBuilt h = build_foreign_store(d / "ollama");
  EXPECT_EQ(h.model_digest, fixture_digest(fixtures::dir(), "stories260K.gguf"));
  Store s(d / "ollama");
  auto models = s.list();
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].ref.display(), "stories:260k");
  EXPECT_EQ(models[0].digest, h.manifest_digest);
  EXPECT_EQ(models[0].details.family, "llama");
  EXPECT_EQ(models[0].details.quantization_level, "F32");
  EXPECT_TRUE(models[0].error.empty()) << models[0].error;

  auto r = s.resolve("stories:260k");
  EXPECT_EQ(r.model_path, d / ("ollama/blobs/sha256-" + h.model_digest.substr(7)));
  EXPECT_EQ(*r.template_text, h.template_text);
  EXPECT_EQ(r.parameters["stop"][0], "<|end|>");
  EXPECT_TRUE(s.verify(std::nullopt).ok());
  // Reading wrote nothing into the foreign store.
  EXPECT_FALSE(fs::exists(d / "ollama/history.db"));
  EXPECT_FALSE(fs::exists(d / "ollama/locks"));
}

TEST(OllamaLayout, ImportFromStoreCopiesByNameWithIdenticalDigests) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir d;
  HandBuilt h = build_foreign_store(d / "ollama");
  Store ours(d / "ours");
  EXPECT_EQ(ours.import_from_store(Store(d / "ollama"), "stories:260k", "stories:260k", {"from store", nullptr, nullptr}),
            h.manifest_digest);
  EXPECT_EQ(slurp(d / "ours/manifests/registry.ollama.ai/library/stories/260k"), h.manifest);
  EXPECT_TRUE(ours.verify(std::nullopt).ok());
  EXPECT_EQ(ours.history("stories:260k").size(), 1u);

  // A corrupt blob in the source is refused while copying, and nothing appears.
  TempDir d2;
  build_foreign_store(d2 / "ollama");
  std::string model_blob = (d2 / ("ollama/blobs/sha256-" + h.model_digest.substr(7))).string();
  std::string bytes = slurp(model_blob);
  bytes[bytes.size() / 2] ^= 0x20;
  spit(model_blob, bytes);
  Store fresh(d2 / "ours");
  EXPECT_THROW(fresh.import_from_store(Store(d2 / "ollama"), "stories:260k", "s", {}), Error);
  EXPECT_TRUE(fresh.list().empty());
  EXPECT_FALSE(fresh.has_blob(h.model_digest));
}
