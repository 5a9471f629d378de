#include <airlock/error.h>
#include <gtest/gtest.h>

#include <fstream>

#include "store/digest.h"
#include "store/store.h"
#include "store_testing.h"
#include "support/error_of.h"
#include "support/fixtures.h"

using namespace airlock;
using namespace airlock::store;
using namespace airlock::store_testing;
using airlock::testing::error_of;
namespace fs = std::filesystem;

namespace {
void flip_byte(const fs::path& p, uint64_t at) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x01));
}
}  // namespace

TEST(Store, ImportListShowCopyRemoveRoundTrip) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir d;
  Store s(d / "store");
  fs::path gguf = fixtures::dir() / "models/llama-spm-q4_k_m.gguf";
  std::string digest = s.import_gguf(gguf, "me/llama:q4", {"test", nullptr, nullptr});

  auto models = s.list();
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].ref.display(), "me/llama:q4");
  EXPECT_EQ(models[0].digest, digest);
  EXPECT_EQ(models[0].digest, reference_sha256(slurp(d / "store/manifests/registry.ollama.ai/me/llama/q4")));
  EXPECT_EQ(models[0].details.family, "llama");
  EXPECT_EQ(models[0].details.quantization_level, "Q4_K_M");  // the fixture's file name says so
  EXPECT_GT(models[0].size, fs::file_size(gguf));

  auto r = s.resolve("me/llama:q4");
  // The model blob is the fixture byte for byte, named by the digest the fixtures publish.
  EXPECT_EQ(r.model_path, d / ("store/blobs/sha256-" + fixture_digest(fixtures::dir(), "llama-spm-q4_k_m.gguf").substr(7)));
  EXPECT_EQ(slurp(r.model_path), slurp(gguf));

  EXPECT_EQ(s.copy("me/llama:q4", "other"), digest);
  EXPECT_EQ(s.list().size(), 2u);
  EXPECT_EQ(s.resolve("other").model_path, r.model_path);
  s.remove("me/llama:q4");
  ASSERT_EQ(s.list().size(), 1u);
  EXPECT_EQ(s.list()[0].ref.display(), "other:latest");
  EXPECT_FALSE(fs::exists(d / "store/manifests/registry.ollama.ai/me"));
  EXPECT_NE(error_of([&] { s.resolve("me/llama:q4"); }).find("not found"), std::string::npos);
  EXPECT_NE(error_of([&] { s.remove("nope"); }).find("not found"), std::string::npos);
  EXPECT_TRUE(s.verify(std::nullopt).ok());
}

TEST(Store, RefusesNonGgufAndLeavesNothing) {
  TempDir d;
  Store s(d / "store");
  spit(d / "x.gguf", "definitely not a model");
  EXPECT_THROW(s.import_gguf(d / "x.gguf", "x", {}), Error);
  EXPECT_THROW(s.import_gguf(d / "missing.gguf", "x", {}), Error);
  EXPECT_TRUE(s.list().empty());
  EXPECT_FALSE(fs::exists(d / "store/blobs") && !fs::is_empty(d / "store/blobs"));
}

TEST(Store, CreateFromModelfileLayersAndInheritance) {
  TempDir d;
  write_gguf(d / "tiny.gguf", "tiny", 1024);
  Store s(d / "store");
  auto mf = Modelfile::parse("FROM tiny.gguf\nPARAMETER temperature 0.25\nPARAMETER stop <end>\n"
                             "SYSTEM Be brief.\nTEMPLATE {{ .Prompt }}\nLICENSE MIT\nMESSAGE user hi\n", "mf");
  s.create("base", mf, d.path(), {"create", nullptr, nullptr});
  auto base = s.resolve("base");
  EXPECT_EQ(*base.system, "Be brief.");
  EXPECT_EQ(*base.template_text, "{{ .Prompt }}");
  EXPECT_EQ(*base.license, "MIT");
  EXPECT_EQ(base.parameters["temperature"].get<double>(), 0.25);
  EXPECT_EQ(base.messages.size(), 1u);
  EXPECT_EQ(slurp(base.model_path), slurp(d / "tiny.gguf"));
  EXPECT_EQ(base.details.family, "llama");
  EXPECT_EQ(base.details.parameter_size, "1.0K");

  // FROM a store name: the weights are shared, SYSTEM replaced, parameters merged.
  auto child = Modelfile::parse("FROM base\nSYSTEM Be verbose.\nPARAMETER num_ctx 512\n", "mf2");
  s.create("child", child, d.path(), {"create", nullptr, nullptr});
  auto c = s.resolve("child");
  EXPECT_EQ(c.model_path, base.model_path);
  EXPECT_EQ(*c.system, "Be verbose.");
  EXPECT_EQ(*c.template_text, "{{ .Prompt }}");
  EXPECT_EQ(c.parameters["num_ctx"].get<int>(), 512);
  EXPECT_EQ(c.parameters["temperature"].get<double>(), 0.25);
  EXPECT_EQ(c.manifest.layers.size(), base.manifest.layers.size());

  EXPECT_NE(error_of([&] { s.create("x", Modelfile::parse("FROM nothing-here\n", "m"), d.path(), {}); })
                .find("not found"),
            std::string::npos);
}

TEST(Store, VerifyReportsCorruptAndMissingBlobsByModel) {
  TempDir d;
  write_gguf(d / "a.gguf", "a", 4096);
  write_gguf(d / "b.gguf", "b", 4096);
  Store s(d / "store");
  s.import_gguf(d / "a.gguf", "a", {});
  s.import_gguf(d / "b.gguf", "b", {});
  ASSERT_TRUE(s.verify(std::nullopt).ok());

  auto a = s.resolve("a"), b = s.resolve("b");
  flip_byte(a.model_path, 5000);
  fs::remove(s.blob_path(b.manifest.config.digest));
  auto r = s.verify(std::nullopt);
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].model, "a:latest");
  EXPECT_NE(r.problems[0].problem.find("corrupt"), std::string::npos);
  EXPECT_EQ(r.problems[1].model, "b:latest");
  EXPECT_EQ(r.problems[1].digest, b.manifest.config.digest);
  EXPECT_EQ(r.problems[1].problem, "missing");
  EXPECT_EQ(s.verify(std::string("a")).problems.size(), 1u);
}

TEST(Store, VerifyAgainstApprovedList) {
  TempDir d;
  write_gguf(d / "a.gguf", "a", 256);
  write_gguf(d / "a2.gguf", "a2", 256);
  Store s(d / "store");
  std::string approved = s.import_gguf(d / "a.gguf", "a", {});
  EXPECT_TRUE(s.verify_approved({{"a", approved}}).ok());
  s.import_gguf(d / "a2.gguf", "a", {});
  auto r = s.verify_approved({{"a", approved}, {"gone", approved}});
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].problem.find("not the approved"), std::string::npos);
  EXPECT_NE(r.problems[1].problem.find("not in the store"), std::string::npos);
}

TEST(Store, HistoryAndRollbackRestoreThePreviousDigest) {
  TempDir d;
  write_gguf(d / "v1.gguf", "v1", 256);
  write_gguf(d / "v2.gguf", "v2", 256);
  write_gguf(d / "v3.gguf", "v3", 256);
  Store s(d / "store");
  std::string d1 = s.import_gguf(d / "v1.gguf", "m:prod", {"import v1", nullptr, nullptr});
  std::string d2 = s.import_gguf(d / "v2.gguf", "m:prod", {"import v2", nullptr, nullptr});
  std::string d3 = s.import_gguf(d / "v3.gguf", "m:prod", {"import v3", nullptr, nullptr});
  EXPECT_EQ(s.import_gguf(d / "v3.gguf", "m:prod", {"again", nullptr, nullptr}), d3);  // no-op
  auto h = s.history("m:prod");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].digest, d1);
  EXPECT_EQ(h[1].source, "import v2");
  EXPECT_GT(h[2].time, 0);

  EXPECT_EQ(s.rollback("m:prod", std::nullopt), d2);
  EXPECT_EQ(*s.manifest_digest(ModelRef::parse("m:prod")), d2);
  EXPECT_EQ(s.rollback("m:prod", d1.substr(7, 8)), d1);
  EXPECT_EQ(s.resolve("m:prod").digest, d1);
  EXPECT_EQ(slurp(s.resolve("m:prod").model_path), slurp(d / "v1.gguf"));
  EXPECT_THROW(s.rollback("m:prod", std::string("deadbeef")), Error);

  // gc keeps the blobs of earlier versions so rollback keeps working; rm + gc frees them.
  auto dry = s.gc(true);
  EXPECT_TRUE(dry.blobs.empty());
  s.remove("m:prod");
  auto g = s.gc(false);
  EXPECT_EQ(g.blobs.size(), 6u);  // three models and three configs
  EXPECT_TRUE(fs::is_empty(d / "store/blobs"));
}

TEST(Store, GcIsDryRunByDefaultAndRemovesOnlyUnreferenced) {
  TempDir d;
  write_gguf(d / "a.gguf", "a", 256);
  Store s(d / "store");
  s.import_gguf(d / "a.gguf", "a", {});
  std::istringstream extra("orphan blob");
  std::string orphan = s.put_blob(extra, std::nullopt);
  EXPECT_EQ(orphan, reference_sha256("orphan blob"));
  std::istringstream wrong("something else");
  EXPECT_THROW(s.put_blob(wrong, orphan), Error);
  spit(d / "store/blobs/.tmp-blob-leftover", "partial");
  auto dry = s.gc(true);
  ASSERT_EQ(dry.blobs.size(), 1u);
  EXPECT_EQ(dry.blobs[0], orphan);
  EXPECT_EQ(dry.temp_files.size(), 1u);
  EXPECT_TRUE(s.has_blob(orphan));
  s.gc(false);
  EXPECT_FALSE(s.has_blob(orphan));
  EXPECT_FALSE(fs::exists(d / "store/blobs/.tmp-blob-leftover"));
  EXPECT_TRUE(s.verify(std::nullopt).ok());
}

TEST(Store, ValidationFailureKeepsTheOldVersion) {
  TempDir d;
  write_gguf(d / "good.gguf", "good", 256);
  write_gguf(d / "bad.gguf", "bad", 256);
  Store s(d / "store");
  std::string good = s.import_gguf(d / "good.gguf", "m", {});
  WriteOptions opt{"import bad", nullptr, [&](const ResolvedModel& cand) {
                     EXPECT_EQ(slurp(cand.model_path), slurp(d / "bad.gguf"));
                     throw Error("generated no tokens");
                   }};
  EXPECT_EQ(error_of([&] { s.import_gguf(d / "bad.gguf", "m", opt); }), "generated no tokens");
  EXPECT_EQ(s.resolve("m").digest, good);
  EXPECT_EQ(s.history("m").size(), 1u);
}

TEST(Store, ConfigRequireSignatures) {
  TempDir d;
  Store s(d / "store");
  EXPECT_FALSE(s.config().require_signatures);
  s.set_config({true});
  EXPECT_TRUE(Store(d / "store").config().require_signatures);
  spit(d / "store/config.json", "{\"require_signatures\": \"yes\"}");
  EXPECT_THROW(s.config(), Error);
}
