// Encrypted bundles: export to a recipient key, then verify and import with that key's secret into
// an empty store; a wrong key, no key, or ciphertext cut or altered anywhere installs nothing, and
// plain bundles are unaffected.
#include <airlock/error.h>
#include <gtest/gtest.h>

#include <fstream>

#include "nothing_installed.h"
#include "store/bundle.h"
#include "store/sealed_file.h"
#include "support/error_of.h"
#include "support/fixtures.h"
#include "unit/store/store_testing.h"

using namespace airlock;
using namespace airlock::store;
using namespace airlock::store_testing;
using airlock::testing::error_of;
namespace fs = std::filesystem;

namespace {
std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void put_bytes(const fs::path& p, const std::string& b) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << b;
}

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

class EncryptedBundles : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures::present()) GTEST_SKIP() << "!!! FIXTURES MISSING: " << fixtures::dir() << " !!!";
    Store a(dir / "a");
    digest = a.import_gguf(fixtures::dir() / "models/stories260K.gguf", "stories", {});
    export_bundle(a, {"stories"}, dir / "e.bundle", nullptr, nullptr, &site_pub);
  }

  void expect_refused(const fs::path& bundle, const std::string& words, const SecretKey* key) {
    const fs::path store_dir = dir / "b";
    Store s(store_dir);
    const std::string msg = error_of([&] { import_bundle(s, bundle, {}, key); });
    EXPECT_TRUE(contains(msg, words)) << "message: '" << msg << "'";
    EXPECT_TRUE(contains(msg, bundle.string())) << "message names the file: " << msg;
    expect_nothing_installed(store_dir);
    EXPECT_TRUE(s.list().empty());
  }

  TempDir dir;
  SecretKey site = generate_key();
  PublicKey site_pub = site.public_key();
  std::string digest;
};
}  // namespace

TEST_F(EncryptedBundles, ImportWithTheRecipientsKeyGivesIdenticalDigests) {
  const auto info = verify_bundle(dir / "e.bundle", {}, nullptr, &site);
  EXPECT_EQ(info.encrypted_to, site.key_id);
  ASSERT_EQ(info.models.size(), 1u);
  Store b(dir / "b");
  import_bundle(b, dir / "e.bundle", {}, &site);
  EXPECT_EQ(b.manifest_digest(ModelRef::parse("stories")), digest);
  const auto report = b.verify(std::nullopt);
  EXPECT_TRUE(report.ok()) << "every installed blob hashes to its name";
  EXPECT_EQ(report.models, 1u);
}

TEST_F(EncryptedBundles, FileRevealsNeitherIndexNorWeights) {
  const std::string bytes = file_bytes(dir / "e.bundle");
  EXPECT_FALSE(contains(bytes, "airlock-bundle"));
  EXPECT_FALSE(contains(bytes, "index.json"));
  EXPECT_FALSE(contains(bytes, "stories"));
  EXPECT_FALSE(contains(bytes, digest.substr(7)));
  // 64 bytes from the middle of the model's weights
  const std::string gguf = file_bytes(fixtures::dir() / "models/stories260K.gguf");
  EXPECT_FALSE(contains(bytes, gguf.substr(gguf.size() / 2, 64)));
}

TEST_F(EncryptedBundles, SignatureCoversThePlaintextIndexAndIsCheckedAfterDecrypting) {
  const SecretKey signer = generate_key();
  Store a(dir / "a");
  const auto out = export_bundle(a, {"stories"}, dir / "signed.bundle", &signer, nullptr, &site_pub);
  EXPECT_EQ(out.key_id, signer.key_id);
  EXPECT_EQ(out.encrypted_to, site.key_id);
  const auto info = verify_bundle(dir / "signed.bundle", {signer.public_key()}, nullptr, &site);
  EXPECT_EQ(info.signature, SignatureState::Trusted);

  Store b(dir / "b");
  b.set_config({.require_signatures = true});
  const std::string msg = error_of([&] { import_bundle(b, dir / "e.bundle", {}, &site); });
  EXPECT_TRUE(contains(msg, "not signed")) << msg;
  expect_nothing_installed(dir / "b");
  trust_key(b.trusted_keys_dir(), signer.public_key());
  import_bundle(b, dir / "signed.bundle", {}, &site);
  EXPECT_EQ(b.manifest_digest(ModelRef::parse("stories")), digest);
}

TEST_F(EncryptedBundles, AnotherKeyIsRefusedNamingTheRecipient) {
  const SecretKey other = generate_key();
  expect_refused(dir / "e.bundle", "encrypted to key " + site.key_id + ", not to key " + other.key_id, &other);
}

TEST_F(EncryptedBundles, NoKeyIsRefusedNamingTheRecipient) {
  expect_refused(dir / "e.bundle", "encrypted to key " + site.key_id, nullptr);
  const std::string msg = error_of([&] { verify_bundle(dir / "e.bundle", {}, nullptr); });
  EXPECT_TRUE(contains(msg, "encrypted to key " + site.key_id)) << msg;
  EXPECT_TRUE(contains(msg, "secret key")) << msg;
}

TEST_F(EncryptedBundles, AlteredCiphertextAnywhereInstallsNothing) {
  const std::string good = file_bytes(dir / "e.bundle");
  ASSERT_GT(good.size(), kSealedHeaderBytes + kSealedChunkBytes) << "the bundle spans two chunks";
  for (size_t at : {size_t{40}, size_t{120}, kSealedHeaderBytes + 10, kSealedHeaderBytes + kSealedChunkBytes / 2,
                    good.size() - 20}) {
    std::string bad = good;
    bad[at] ^= 0x20;
    put_bytes(dir / "bad.bundle", bad);
    expect_refused(dir / "bad.bundle", "", &site);
  }
  std::string bad = good;
  bad[kSealedHeaderBytes + 10] ^= 0x20;
  put_bytes(dir / "bad.bundle", bad);
  expect_refused(dir / "bad.bundle", "encrypted chunk 1 fails authentication", &site);
}

TEST_F(EncryptedBundles, TruncatedCiphertextInstallsNothing) {
  const std::string good = file_bytes(dir / "e.bundle");
  const size_t first_chunk_end = kSealedHeaderBytes + kSealedChunkBytes + 17;
  for (size_t len : {size_t{50}, kSealedHeaderBytes, kSealedHeaderBytes + 4096, first_chunk_end, good.size() - 1}) {
    put_bytes(dir / "cut.bundle", good.substr(0, len));
    expect_refused(dir / "cut.bundle", "", &site);
    const std::string msg = error_of([&] { verify_bundle(dir / "cut.bundle", {}, nullptr, &site); });
    EXPECT_TRUE(contains(msg, "truncated") || contains(msg, "fails authentication")) << len << ": " << msg;
  }
}

TEST_F(EncryptedBundles, PlainBundleImportsAsBeforeWhenAKeyIsGiven) {
  Store a(dir / "a");
  export_bundle(a, {"stories"}, dir / "plain.tar", nullptr, nullptr);
  EXPECT_EQ(sealed_recipient(dir / "plain.tar"), std::nullopt);
  EXPECT_EQ(verify_bundle(dir / "plain.tar", {}, nullptr, &site).encrypted_to, "");
  Store b(dir / "b");
  import_bundle(b, dir / "plain.tar", {}, &site);
  EXPECT_EQ(b.manifest_digest(ModelRef::parse("stories")), digest);
}
