#include <airlock/error.h>
#include <gtest/gtest.h>

#include "store/digest.h"
#include "store/signing.h"
#include "store_testing.h"

using namespace airlock;
using namespace airlock::store;

TEST(Signing, SignVerifyAndKeyFilesRoundTrip) {
  SecretKey k = generate_key();
  SecretKey k2 = SecretKey::parse(k.text(), "k");
  EXPECT_EQ(k2.key_id, k.key_id);
  PublicKey pub = PublicKey::parse(k.public_key().text(), "p");
  std::string sig = sign_message(k2, "index bytes");
  EXPECT_TRUE(verify_message(pub, "index bytes", sig, "s"));
  EXPECT_FALSE(verify_message(pub, "index bytez", sig, "s"));
  EXPECT_FALSE(verify_message(generate_key().public_key(), "index bytes", sig, "s"));
  EXPECT_EQ(signature_key_id(sig, "s"), k.key_id);
}

// RFC 8032 section 7.1, test 1: the empty message under a published key.
TEST(Signing, MatchesRfc8032Vector) {
  SecretKey rfc;
  ASSERT_TRUE(from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", rfc.seed.data(), 32));
  PublicKey pub = rfc.public_key();
  EXPECT_EQ(to_hex(pub.key.data(), 32), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  rfc.key_id = pub.key_id;
  std::string sig = sign_message(rfc, "");
  EXPECT_NE(sig.find("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
            std::string::npos);
}

TEST(Signing, RefusesMalformedFiles) {
  SecretKey k = generate_key();
  std::string t = k.public_key().text();
  EXPECT_THROW(PublicKey::parse("hello\n", "p"), Error);
  EXPECT_THROW(PublicKey::parse(t.substr(0, t.size() - 3) + "\n", "p"), Error);
  std::string wrong_id = t;
  wrong_id.replace(wrong_id.find("key-id: ") + 8, 4, "0000");
  EXPECT_THROW(PublicKey::parse(wrong_id, "p"), Error);
  EXPECT_THROW(verify_message(k.public_key(), "m", "airlock ed25519 signature\nkey-id: x\nsignature: zz\n", "s"), Error);
}

TEST(Signing, TrustedKeysLiveInTheStore) {
  store_testing::TempDir d;
  EXPECT_TRUE(trusted_keys(d / "trusted-keys").empty());
  SecretKey a = generate_key(), b = generate_key();
  trust_key(d / "trusted-keys", a.public_key());
  trust_key(d / "trusted-keys", b.public_key());
  trust_key(d / "trusted-keys", a.public_key());
  EXPECT_EQ(trusted_keys(d / "trusted-keys").size(), 2u);
}
