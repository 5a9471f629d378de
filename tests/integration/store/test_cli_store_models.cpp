// The airlock binary with models named by store name (tokenize, run, ...) and `--validate` on
// import and bundle import, against a temporary store ($AIRLOCK_MODELS) filled from fixtures.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "unit/store/store_testing.h"
#include "gguf/gguf.h"
#include "gguf/writer.h"
#include "store/signing.h"
#include "store/store.h"
#include "support/cli_runner.h"
#include "support/fixtures.h"

using namespace airlock;
using airlock::store_testing::TempDir;

namespace {

using cli_runner::quote;
using cli_runner::Result;

Result run(const std::string& args) { return cli_runner::run(std::string(AIRLOCK_BINARY) + " " + args, true); }

std::string fixture(const char* name) { return quote((fixtures::dir() / "models" / name).string()); }

// A store in a temp folder that the airlock binary (a child process) uses through $AIRLOCK_MODELS.
struct TempStore {
  TempDir dir;
  TempStore() { ::setenv("AIRLOCK_MODELS", (dir / "models").c_str(), 1); }
  ~TempStore() { ::unsetenv("AIRLOCK_MODELS"); }
  store::Store store() const { return store::Store(dir / "models"); }
};

// stories260K with general.architecture changed to one the engine does not know: a valid GGUF
// whose blobs import fine but which cannot be loaded.
std::filesystem::path write_unknown_arch(const TempDir& d) {
  auto src = gguf::File::open(fixtures::dir() / "models/stories260K.gguf");
  std::vector<gguf::KeyValue> meta;
  for (const auto& kv : src->metadata())
    meta.push_back(kv.key == "general.architecture" ? gguf::KeyValue{kv.key, gguf::Value::of_string("nosucharch")} : kv);
  std::vector<gguf::TensorToWrite> tensors;
  for (const auto& t : src->tensors()) {
    gguf::TensorToWrite w;
    w.name = t.name;
    w.type = t.type;
    w.dims.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
    w.data = std::span<const uint8_t>(t.data, t.nbytes);
    tensors.push_back(std::move(w));
  }
  auto path = d / "unknown-arch.gguf";
  gguf::write_file(path, meta, tensors);
  return path;
}

}  // namespace

TEST(CliStoreModels, TokenizeAndRunByStoreName) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempStore ts;
  auto r = run("import " + fixture("llama-spm-q8_0.gguf") + " --name spm");
  ASSERT_EQ(r.status, 0) << r.out;
  // Expected ids from llama-spm-q8_0.ref.json ("Hello world", with BOS).
  r = run("tokenize spm 'Hello world'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "1 15043 3186\n");
  r = run("detokenize spm:latest 15043 3186");
  EXPECT_EQ(r.out, "Hello world\n");
  r = run("inspect spm --json");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"llama\""), std::string::npos);

  // Neither a file nor a stored model: the message names both interpretations.
  r = run("tokenize no-such-model 'Hello'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("'no-such-model' is neither a file (no such file) nor a model in the store"), std::string::npos)
      << r.out;

  ASSERT_EQ(run("import " + fixture("stories260K.gguf") + " --name stories:f32").status, 0);
  std::ifstream in(fixtures::dir() / "models/stories260K.ref.json");
  const auto ref = nlohmann::json::parse(in)["cases"][0];
  r = run("run stories:f32 " + quote(ref["prompt"].get<std::string>()) + " --temperature 0 -n 8");
  ASSERT_EQ(r.status, 0) << r.out;
  ASSERT_GT(r.out.size(), 8u);
  ASSERT_EQ(r.out.back(), '\n');
  // The reference's greedy continuation (64 tokens) starts with our 8.
  EXPECT_EQ(ref["greedy_text"].get<std::string>().rfind(r.out.substr(0, r.out.size() - 1), 0), 0u) << r.out;
}

TEST(CliStoreModels, ImportValidateKeepsTheOldVersionOnFailure) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempStore ts;
  auto r = run("import --validate " + fixture("stories260K.gguf") + " --name m");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("validating m"), std::string::npos) << r.out;
  const auto good = ts.store().manifest_digest(store::ModelRef::parse("m"));
  ASSERT_TRUE(good);

  const auto bad = write_unknown_arch(ts.dir);
  r = run("import --validate " + quote(bad.string()) + " --name m");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("m:latest: validation failed, the tag was not changed: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nosucharch"), std::string::npos) << r.out;  // the engine's reason
  EXPECT_EQ(ts.store().manifest_digest(store::ModelRef::parse("m")), good);
  EXPECT_EQ(ts.store().history("m").size(), 1u);

  // Without --validate the same file is accepted: the check is the engine's, not the store's.
  EXPECT_EQ(run("import " + quote(bad.string()) + " --name unchecked").status, 0);
  // Embedding models are validated by embedding a sentence.
  r = run("import --validate " + fixture("bert-bge-f16.gguf") + " --name bge");
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(CliStoreModels, BundleImportValidateChangesNoTagOnFailure) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempStore ts;
  const auto bad = write_unknown_arch(ts.dir);
  // The bundle (written from a second store) holds a good model and a broken one.
  {
    ::setenv("AIRLOCK_MODELS", (ts.dir / "other").c_str(), 1);
    ASSERT_EQ(run("import " + fixture("stories260K.gguf") + " --name a").status, 0);
    ASSERT_EQ(run("import " + quote(bad.string()) + " --name b").status, 0);
    ASSERT_EQ(run("bundle export a b -o " + quote((ts.dir / "ab.tar").string())).status, 0);
    ::setenv("AIRLOCK_MODELS", (ts.dir / "models").c_str(), 1);
  }
  ASSERT_EQ(run("import " + fixture("llama-spm-q8_0.gguf") + " --name a").status, 0);
  const auto before = ts.store().manifest_digest(store::ModelRef::parse("a"));

  auto r = run("bundle import --validate " + quote((ts.dir / "ab.tar").string()));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("b:latest: validation failed"), std::string::npos) << r.out;
  // "a" validated fine but was not switched either: the bundle is installed whole or not at all.
  EXPECT_EQ(ts.store().manifest_digest(store::ModelRef::parse("a")), before);
  EXPECT_FALSE(ts.store().manifest_digest(store::ModelRef::parse("b")));

  r = run("bundle import " + quote((ts.dir / "ab.tar").string()));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(ts.store().manifest_digest(store::ModelRef::parse("a")), before);
}

// `bundle export --sign` says which key signed and whether this store trusts it, not "trusted".
TEST(CliStoreModels, BundleExportSaysWhetherTheSigningKeyIsTrusted) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempStore ts;
  ASSERT_EQ(run("import " + fixture("stories260K.gguf") + " --name m").status, 0);
  const std::string prefix = (ts.dir / "site").string();
  ASSERT_EQ(run("keys generate -o " + quote(prefix)).status, 0);
  const std::string key_id =
      store::SecretKey::parse(store_testing::slurp(prefix + ".key"), "site.key").key_id;
  const std::string out = quote((ts.dir / "m.tar").string());
  auto r = run("bundle export m -o " + out + " --sign " + quote(prefix + ".key"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("signed by key " + key_id + ", which this store does not trust"), std::string::npos) << r.out;
  ASSERT_EQ(run("keys trust " + quote(prefix + ".pub")).status, 0);
  r = run("bundle export m -o " + out + " --sign " + quote(prefix + ".key"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("signed by key " + key_id + ", which this store trusts"), std::string::npos) << r.out;
}

// `bundle export --encrypt-to`, then verify and import in the receiving store with its site key
// (`keys generate --site`) found by default, with --key, and refused with another key or none.
TEST(CliStoreModels, EncryptedBundleOpensOnlyWithTheSiteKey) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempStore sender;
  TempDir receiver;
  const std::string receiver_env = "AIRLOCK_MODELS=" + quote((receiver / "models").string()) + " ";
  auto r = run("keys generate --site");  // in the sending store: a key that must not open the bundle
  ASSERT_EQ(r.status, 0) << r.out;
  r = cli_runner::run(receiver_env + AIRLOCK_BINARY + " keys generate --site", true);
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string site_id =
      store::SecretKey::parse(store_testing::slurp((receiver / "models/site.key").string()), "site.key").key_id;
  EXPECT_EQ(std::filesystem::status(receiver / "models/site.key").permissions() &
                std::filesystem::perms::group_all,
            std::filesystem::perms::none);

  ASSERT_EQ(run("import " + fixture("stories260K.gguf") + " --name m").status, 0);
  const std::string bundle = quote((sender.dir / "m.bundle").string());
  r = run("bundle export m -o " + bundle + " --encrypt-to " + quote((receiver / "models/site.pub").string()));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("encrypted to key " + site_id), std::string::npos) << r.out;

  r = run("bundle verify " + bundle);  // the sender's store has no site key of the receiver
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("encrypted to key " + site_id), std::string::npos) << r.out;
  const std::string other = (sender.dir / "other").string();
  ASSERT_EQ(run("keys generate -o " + quote(other)).status, 0);
  r = run("bundle verify " + bundle + " --key " + quote(other + ".key"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("encrypted to key " + site_id + ", not to key"), std::string::npos) << r.out;
  r = run("bundle verify " + bundle + " --key " + quote((receiver / "models/site.key").string()));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("every hash matches"), std::string::npos) << r.out;

  r = cli_runner::run(receiver_env + AIRLOCK_BINARY + " bundle import " + bundle + " --key " + quote(other + ".key"), true);
  EXPECT_NE(r.status, 0);
  EXPECT_FALSE(std::filesystem::exists(receiver / "models/manifests")) << r.out;
  r = cli_runner::run(receiver_env + AIRLOCK_BINARY + " bundle import " + bundle, true);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("encrypted to key " + site_id), std::string::npos) << r.out;
  EXPECT_EQ(store::Store(receiver / "models").manifest_digest(store::ModelRef::parse("m")),
            sender.store().manifest_digest(store::ModelRef::parse("m")));
}

// Regression: `keys generate` with a bare prefix (the default "airlock" included) failed with
// "cannot create directories: Invalid argument []" (an empty parent folder); the secret key is
// created readable by its owner only.
TEST(CliStoreModels, KeysGenerateWritesIntoTheCurrentFolder) {
  TempStore ts;
  const auto r = cli_runner::run("cd " + quote(ts.dir.path().string()) + " && " + AIRLOCK_BINARY + " keys generate", true);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(ts.dir / "airlock.pub"));
  EXPECT_EQ(std::filesystem::status(ts.dir / "airlock.key").permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}
