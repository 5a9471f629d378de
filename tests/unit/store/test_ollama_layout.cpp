// A store laid out by hand the way the familiar local model server writes one (as if copied from a
// connected machine) is read as is, and models can be copied out of it by name.
#include <airlock/error.h>
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/signing.h"
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

namespace {
// A name part as the familiar server's name parser accepts it (types/model/name.go): letters,
// digits, '_', '-', '.' (and ':' in a host), starting with a letter or digit ('_' too for a tag).
bool valid_part(const std::string& s, size_t max_len, bool is_tag, bool is_host) {
  if (s.empty() || s.size() > max_len) return false;
  if (!std::isalnum(static_cast<unsigned char>(s[0])) && !(is_tag && s[0] == '_')) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && !(is_host && c == ':'))
      return false;
  return true;
}

bool is_blob_name(const std::string& s) {
  if (s.size() != 7 + 64 || s.rfind("sha256-", 0) != 0) return false;
  for (size_t i = 7; i < s.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(s[i])) || std::isupper(static_cast<unsigned char>(s[i]))) return false;
  return true;
}
}  // namespace

// A store airlock wrote (imports, create, copy, remove, rollback, config, a trusted key) checked
// with the familiar server's rules: it reads only blobs/ and manifests/ (the other top-level entries
// are never looked at), deletes any file in blobs/ not named sha256-<hex> when it prunes, finds
// manifests with the glob manifests/*/*/*/* and skips names it cannot parse, and loads every blob a
// manifest names by digest and size.
TEST(OllamaLayout, StoreWrittenByAirlockFollowsItsRules) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir d;
  Store s(d / "ours");
  auto stories = fixtures::dir() / "models/stories260K.gguf";
  s.import_gguf(stories, "stories", {"test", nullptr, nullptr});
  s.import_gguf(fixtures::dir() / "models/bert-bge-f16.gguf", "stories", {"test", nullptr, nullptr});
  s.rollback("stories", std::nullopt);
  s.create("team/chat:v1", Modelfile::parse("FROM stories\nTEMPLATE {{ .Prompt }}\nPARAMETER temperature 0.5\n", "mf"),
           d.path(), {});
  s.copy("team/chat:v1", "chat-copy");
  s.import_gguf(fixtures::dir() / "models/llama-spm-q8_0.gguf", "gone", {"test", nullptr, nullptr});
  s.remove("gone");
  s.set_config({true});
  trust_key(s.trusted_keys_dir(), generate_key().public_key());
  s.gc(false);

  const std::set<std::string> documented = {"blobs", "manifests", "history.db", "history.db-wal", "history.db-shm", "locks", "config.json", "trusted-keys"};
  for (const auto& e : fs::directory_iterator(d / "ours"))
    EXPECT_TRUE(documented.count(e.path().filename().string())) << "undocumented top-level entry " << e.path();

  std::set<std::string> blobs;
  for (const auto& e : fs::directory_iterator(d / "ours/blobs")) {
    const std::string name = e.path().filename().string();
    ASSERT_TRUE(e.is_regular_file()) << name;
    ASSERT_TRUE(is_blob_name(name)) << name << " would be deleted by its prune";
    EXPECT_EQ(reference_sha256(slurp(e.path())).substr(7), name.substr(7));
    blobs.insert(name);
  }

  std::set<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(d / "ours/manifests")) {
    if (e.is_directory()) continue;
    const fs::path rel = fs::relative(e.path(), d / "ours/manifests");
    std::vector<std::string> parts(rel.begin(), rel.end());
    ASSERT_EQ(parts.size(), 4u) << rel << " is not host/namespace/model/tag";
    EXPECT_TRUE(valid_part(parts[0], 350, false, true) && valid_part(parts[1], 80, false, false) &&
                valid_part(parts[2], 80, false, false) && valid_part(parts[3], 80, true, false))
        << rel;
    names.insert(rel.string());
    auto m = nlohmann::json::parse(slurp(e.path()));
    EXPECT_EQ(m["schemaVersion"], 2);
    EXPECT_EQ(m["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");
    auto layers = m["layers"];
    layers.push_back(m["config"]);
    int models = 0;
    for (const auto& l : layers) {
      const std::string digest = l["digest"];
      ASSERT_EQ(digest.rfind("sha256:", 0), 0u) << digest;
      const std::string blob = "sha256-" + digest.substr(7);
      ASSERT_TRUE(blobs.count(blob)) << rel << " names a missing blob " << digest;
      EXPECT_EQ(l["size"].get<uint64_t>(), fs::file_size(d / "ours/blobs" / blob));
      models += l["mediaType"] == "application/vnd.ollama.image.model";
    }
    EXPECT_EQ(models, 1) << rel;
  }
  EXPECT_EQ(names, (std::set<std::string>{"registry.ollama.ai/library/stories/latest",
                                          "registry.ollama.ai/team/chat/v1",
                                          "registry.ollama.ai/library/chat-copy/latest"}));
  // The rolled-back stories points at the first import again.
  EXPECT_EQ(s.resolve("stories").model_path.filename().string(),
            "sha256-" + fixture_digest(fixtures::dir(), "stories260K.gguf").substr(7));
}
