// Bundles: export -> import into a second, empty store; and every kind of damage or trick refused
// with a clear message and nothing installed.
#include <airlock/error.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "nothing_installed.h"
#include "store/bundle.h"
#include "store/bundle_source.h"
#include "support/error_of.h"
#include "support/fixtures.h"
#include "tar_edit.h"
#include "unit/store/store_testing.h"

using namespace airlock;
using namespace airlock::store;
using namespace airlock::store_testing;
using airlock::testing::error_of;
namespace fs = std::filesystem;

namespace {
class Bundles : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures::present()) GTEST_SKIP() << "!!! FIXTURES MISSING: " << fixtures::dir() << " !!!";
    Store a(dir / "a");
    digest_stories = a.import_gguf(fixtures::dir() / "models/stories260K.gguf", "stories", {});
    auto mf = Modelfile::parse("FROM stories\nSYSTEM Tell short stories.\nPARAMETER temperature 0.8\n", "mf");
    digest_teller = a.create("me/teller:v1", mf, dir.path(), {});
    export_bundle(a, {"stories", "me/teller:v1"}, dir / "b.tar", nullptr, nullptr);
  }

  // Rewrites b.tar's entries through `edit` into a new bundle.
  fs::path edited(const std::string& name, const std::function<void(std::vector<TarEntry>&)>& edit) {
    auto entries = read_tar(dir / "b.tar");
    edit(entries);
    write_tar(dir / name, entries);
    return dir / name;
  }

  void expect_refused(const fs::path& bundle, const std::string& words, const fs::path& store_dir) {
    Store s(store_dir);
    std::string msg = error_of([&] { import_bundle(s, bundle, {}); });
    EXPECT_NE(msg.find(words), std::string::npos) << "message: '" << msg << "'";
    EXPECT_NE(msg.find(bundle.string()), std::string::npos) << "message names the file: " << msg;
    expect_nothing_installed(store_dir);
    EXPECT_TRUE(s.list().empty());
  }

  TempDir dir;
  std::string digest_stories, digest_teller;
};
}  // namespace

TEST_F(Bundles, ExportImportOnEmptyStoreGivesIdenticalDigests) {
  auto info = verify_bundle(dir / "b.tar", {}, nullptr);
  EXPECT_EQ(info.models.size(), 2u);
  EXPECT_EQ(info.signature, SignatureState::Unsigned);
  expect_nothing_installed(dir / "a-never");  // verify installs nothing anywhere

  Store b(dir / "b");
  import_bundle(b, dir / "b.tar", {});
  Store a(dir / "a");
  auto la = a.list(), lb = b.list();
  ASSERT_EQ(lb.size(), 2u);
  for (size_t i = 0; i < la.size(); ++i) {
    EXPECT_EQ(la[i].ref, lb[i].ref);
    EXPECT_EQ(la[i].digest, lb[i].digest);
  }
  EXPECT_EQ(b.resolve("stories").digest, digest_stories);
  EXPECT_EQ(b.resolve("me/teller:v1").digest, digest_teller);
  EXPECT_EQ(*b.resolve("me/teller:v1").system, "Tell short stories.");
  EXPECT_EQ(slurp(b.resolve("stories").model_path), slurp(fixtures::dir() / "models/stories260K.gguf"));
  EXPECT_TRUE(b.verify(std::nullopt).ok());

  // Idempotent: a second import changes nothing, not even the history.
  import_bundle(b, dir / "b.tar", {});
  EXPECT_EQ(b.history("stories").size(), 1u);
  EXPECT_EQ(b.list().size(), 2u);
}

TEST_F(Bundles, FlippedByteInAnyBlobOrManifestIsRefused) {
  auto entries = read_tar(dir / "b.tar");
  int n = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& p = entries[i].path;
    if (p.rfind("blobs/", 0) != 0 && p.rfind("manifests/", 0) != 0) continue;
    SCOPED_TRACE(p);
    fs::path bad = edited("flip.tar", [&](auto& e) { e[i].data[e[i].data.size() / 2] ^= 0x04; });
    expect_refused(bad, "corrupt", dir / ("s" + std::to_string(n)));
    EXPECT_THROW(verify_bundle(bad, {}, nullptr), Error);
    ++n;
  }
  EXPECT_EQ(n, 7);  // two manifests; five distinct blobs (shared model, two configs, system, params)
}

TEST_F(Bundles, MissingBlobIsRefused) {
  fs::path bad = edited("missing.tar", [](auto& e) {
    std::erase_if(e, [](const TarEntry& t) { return t.path.rfind("blobs/", 0) == 0 && t.data.size() > 100000; });
  });
  expect_refused(bad, "is missing", dir / "s");
}

// A manifest that names a blob with the wrong size, in an otherwise consistent bundle (index,
// SHA256SUMS and hashes all agree): refused before any blob is installed, so none is orphaned.
TEST_F(Bundles, WrongLayerSizeIsRefusedBeforeAnyBlobIsInstalled) {
  fs::path bad = edited("size.tar", [](auto& e) {
    nlohmann::json index = nlohmann::json::parse(e[0].data);
    for (auto& entry : e) {
      if (entry.path.rfind("manifests/", 0) != 0) continue;
      nlohmann::json m = nlohmann::json::parse(entry.data);
      m["config"]["size"] = m["config"]["size"].template get<uint64_t>() + 1;
      const std::string old_digest = reference_sha256(entry.data);
      entry.data = m.dump();
      for (auto& f : index["files"])
        if (f["path"] == entry.path) f["sha256"] = reference_sha256(entry.data), f["size"] = entry.data.size();
      for (auto& model : index["models"])
        if (model["digest"] == old_digest) model["digest"] = reference_sha256(entry.data);
    }
    e[0].data = index.dump(2) + "\n";
    std::string sums;
    for (const auto& f : index["files"])
      sums += f["sha256"].template get<std::string>().substr(7) + "  " + f["path"].template get<std::string>() + "\n";
    ASSERT_EQ(e[1].path, "SHA256SUMS");
    e[1].data = sums;
  });
  EXPECT_THROW(verify_bundle(bad, {}, nullptr), Error);
  expect_refused(bad, "manifest says blob", dir / "s");

  // A store that already holds models keeps exactly the blobs it had.
  Store s(dir / "s2");
  s.import_gguf(fixtures::dir() / "models/stories260K.gguf", "own", {});
  std::set<fs::path> before(fs::directory_iterator(s.blobs_dir()), fs::directory_iterator());
  EXPECT_NE(error_of([&] { import_bundle(s, bad, {}); }).find("manifest says blob"), std::string::npos);
  EXPECT_EQ(std::set<fs::path>(fs::directory_iterator(s.blobs_dir()), fs::directory_iterator()), before);
  EXPECT_EQ(s.list().size(), 1u);
}

TEST_F(Bundles, ExtraOrDuplicateFilesAreRefused) {
  expect_refused(edited("extra.tar", [](auto& e) { e.push_back({TarEntry::File, "blobs/extra", "x", ""}); }),
                 "not listed", dir / "s1");
  expect_refused(edited("dup.tar", [](auto& e) { e.push_back(e.back()); }), "twice", dir / "s2");
  expect_refused(edited("sums.tar", [](auto& e) { e[1].data[0] ^= 1; }), "SHA256SUMS", dir / "s3");
}

TEST_F(Bundles, SignaturesTrustAndRequirement) {
  SecretKey key = generate_key(), stranger = generate_key();
  Store a(dir / "a");
  export_bundle(a, {"stories"}, dir / "signed.tar", &key, nullptr);
  export_bundle(a, {"stories"}, dir / "stranger.tar", &stranger, nullptr);

  // Export says whether the exporting store trusts the key, as verify there would.
  EXPECT_EQ(export_bundle(a, {"stories"}, dir / "tmp.tar", &key, nullptr).signature, SignatureState::Untrusted);
  trust_key(a.trusted_keys_dir(), key.public_key());
  auto own = export_bundle(a, {"stories"}, dir / "tmp.tar", &key, nullptr);
  EXPECT_EQ(own.signature, SignatureState::Trusted);
  EXPECT_EQ(own.key_id, key.key_id);
  EXPECT_EQ(export_bundle(a, {"stories"}, dir / "tmp.tar", &stranger, nullptr).signature, SignatureState::Untrusted);

  Store s(dir / "strict");
  s.set_config({true});
  trust_key(s.trusted_keys_dir(), key.public_key());
  expect_refused(dir / "b.tar", "not signed", dir / "strict");
  expect_refused(dir / "stranger.tar", "does not trust", dir / "strict");

  // A signature by the trusted key over other bytes, and an index edited after signing.
  fs::path wrong = dir / "wrong.tar";
  {
    auto e = read_tar(dir / "signed.tar");
    ASSERT_EQ(e[1].path, "index.json.sig");
    e[1].data = sign_message(key, "some other index");
    write_tar(wrong, e);
  }
  expect_refused(wrong, "does not match", dir / "strict");
  fs::path tampered = dir / "tampered.tar";
  {
    auto e = read_tar(dir / "signed.tar");
    auto pos = e[0].data.find("\"created\": ");
    ASSERT_NE(pos, std::string::npos);
    e[0].data[pos + 12] = e[0].data[pos + 12] == '1' ? '2' : '1';
    write_tar(tampered, e);
  }
  expect_refused(tampered, "does not match", dir / "strict");
  EXPECT_EQ(verify_bundle(dir / "signed.tar", trusted_keys(s.trusted_keys_dir()), nullptr).signature,
            SignatureState::Trusted);
  EXPECT_EQ(verify_bundle(dir / "stranger.tar", trusted_keys(s.trusted_keys_dir()), nullptr).signature,
            SignatureState::Untrusted);

  auto info = import_bundle(s, dir / "signed.tar", {});
  EXPECT_EQ(info.signature, SignatureState::Trusted);
  EXPECT_EQ(s.resolve("stories").digest, digest_stories);
}

// The history keeps each bundle's signature state as it was on import, for the web UI's models page.
TEST_F(Bundles, HistoryRecordsTheSignatureOfEachImport) {
  SecretKey key = generate_key(), stranger = generate_key();
  Store a(dir / "a");
  export_bundle(a, {"stories"}, dir / "signed.tar", &key, nullptr);
  export_bundle(a, {"stories"}, dir / "stranger.tar", &stranger, nullptr);
  Store s(dir / "site");
  trust_key(s.trusted_keys_dir(), key.public_key());
  const auto last_signature = [&] { return source_signature(s.history("stories").back().source); };

  import_bundle(s, dir / "b.tar", {});
  EXPECT_EQ(last_signature().state, "unsigned");
  s.remove("stories");  // so that the next import moves the tag again and is recorded
  import_bundle(s, dir / "signed.tar", {});
  EXPECT_EQ(last_signature().state, "trusted");
  EXPECT_EQ(last_signature().key_id, key.key_id);
  s.remove("stories");
  import_bundle(s, dir / "stranger.tar", {});
  EXPECT_EQ(last_signature().state, "untrusted");
  EXPECT_EQ(last_signature().key_id, stranger.key_id);
  EXPECT_NE(s.history("stories").back().source.find((dir / "stranger.tar").string()), std::string::npos);

  EXPECT_EQ(source_signature("import /m/x.gguf").state, "none");
  EXPECT_EQ(source_signature("bundle /old/a.tar").state, "unknown");  // recorded before the state was
  EXPECT_EQ(source_signature("bundle /odd (unsigned)/a.tar").state, "unknown");
}

TEST_F(Bundles, TarTricksAreRefusedAndWriteNothingOutside) {
  fs::path victim = dir / "victim";
  struct Trick {
    TarEntry entry;
    std::string words;
  };
  std::vector<Trick> tricks = {
      {{TarEntry::File, victim.string(), "pwned", ""}, "absolute path"},
      {{TarEntry::File, "../victim", "pwned", ""}, "'..'"},
      {{TarEntry::File, "blobs/../../victim", "pwned", ""}, "'..'"},
      {{TarEntry::Symlink, "blobs/evil", "", victim.string()}, "symbolic link"},
      {{TarEntry::Hardlink, "blobs/evil", "", "index.json"}, "hard link"},
      {{TarEntry::CharDevice, "blobs/dev", "", ""}, "not a regular file"},
      {{TarEntry::Fifo, "blobs/fifo", "", ""}, "not a regular file"},
      {{TarEntry::Dir, "blobs/sub", "", ""}, "not a regular file"},
  };
  int n = 0;
  for (const auto& t : tricks) {
    SCOPED_TRACE(t.entry.path + " " + t.words);
    // The trick comes after some valid blobs, which must not become visible either.
    fs::path bad = edited("trick.tar", [&](auto& e) { e.insert(e.end() - 1, t.entry); });
    expect_refused(bad, t.words, dir / ("s" + std::to_string(n++)));
    EXPECT_FALSE(fs::exists(victim));
  }
  // A manifest name in the index that would escape manifests/.
  fs::path bad = edited("index.tar", [](auto& e) {
    auto p = e[0].data.find("manifests/registry.ollama.ai/library/stories/latest");
    e[0].data.replace(p, 51, "manifests/registry.ollama.ai/../../etc");
  });
  expect_refused(bad, "model name", dir / "s-index");
  EXPECT_NE(error_of([&] { Store s(dir / "x"); import_bundle(s, dir / "nope.tar", {}); }).find("nope.tar"),
            std::string::npos);
}

// Fuzzer finding: an index whose "format" (or "version", "airlock_version") held an array threw
// nlohmann's type_error out of the reader and aborted the process.
TEST_F(Bundles, IndexFieldsOfTheWrongTypeAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"format": [], "version": 1})", "not an airlock bundle"},
      {R"({"format": {"a": 1}, "version": 1})", "not an airlock bundle"},
      {R"({"format": "airlock-bundle", "version": "1"})", "unsupported bundle version"},
      {R"({"format": "airlock-bundle", "version": [1]})", "unsupported bundle version"},
  };
  int n = 0;
  for (const auto& [index, words] : cases) {
    SCOPED_TRACE(index);
    fs::path bad = edited("types.tar", [&](auto& e) { e[0].data = index; });
    expect_refused(bad, words, dir / ("t" + std::to_string(n++)));
  }
  fs::path odd_version = edited("aversion.tar", [](auto& e) {
    auto j = nlohmann::json::parse(e[0].data);
    j["airlock_version"] = nlohmann::json::array();
    e[0].data = j.dump();
  });
  Store s(dir / "t-ok");
  EXPECT_NO_THROW(import_bundle(s, odd_version, {}));
}
