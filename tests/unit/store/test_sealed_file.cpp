// Sealed files (the encryption layer of encrypted bundles): bytes come back exactly at every size
// around the chunk boundary, and a wrong key, an edited byte anywhere, a cut at any chunk boundary
// or bytes appended after the end are refused with a message that says which.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "store/sealed_file.h"
#include "support/error_of.h"
#include "store_testing.h"

using namespace airlock::store;
using airlock::store_testing::TempDir;
using airlock::testing::error_of;
namespace fs = std::filesystem;

namespace {
constexpr size_t kCipherChunk = kSealedChunkBytes + 17;  // libsodium's secretstream ABYTES

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

void seal(const fs::path& path, const PublicKey& to, const std::string& plain, size_t piece = 65536) {
  SealedWriter w(path, to);
  for (size_t at = 0; at < plain.size(); at += piece) w.write(plain.data() + at, std::min(piece, plain.size() - at));
  w.finish();
}

std::string open_all(const fs::path& path, const SecretKey& key) {
  SealedReader r(path, key);
  std::string out;
  for (auto chunk = r.next(); !chunk.empty(); chunk = r.next()) out.append(chunk.begin(), chunk.end());
  r.expect_end();
  return out;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void put_bytes(const fs::path& p, const std::string& b) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << b;
}

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }
}  // namespace

TEST(SealedFile, RoundTripsEverySizeAroundTheChunkBoundary) {
  TempDir d;
  const SecretKey key = generate_key();
  for (size_t n : {size_t{0}, size_t{1}, kSealedChunkBytes - 1, kSealedChunkBytes, kSealedChunkBytes + 1,
                   3 * kSealedChunkBytes + 5}) {
    const std::string plain = random_bytes(n, static_cast<unsigned>(n));
    seal(d / "f", key.public_key(), plain, 100000);  // pieces that straddle chunk boundaries
    EXPECT_EQ(open_all(d / "f", key), plain) << n << " bytes";
    const size_t chunks = n / kSealedChunkBytes + 1 - (n > 0 && n % kSealedChunkBytes == 0);
    EXPECT_EQ(fs::file_size(d / "f"), kSealedHeaderBytes + n + chunks * 17) << n << " bytes";
    EXPECT_EQ(sealed_recipient(d / "f"), key.public_key().key_id);
  }
}

TEST(SealedFile, CiphertextHidesThePlaintextAndDiffersEachTime) {
  TempDir d;
  const SecretKey key = generate_key();
  const std::string plain = "index.json airlock-bundle " + std::string(4096, 'A');
  seal(d / "a", key.public_key(), plain);
  seal(d / "b", key.public_key(), plain);
  const std::string a = file_bytes(d / "a"), b = file_bytes(d / "b");
  EXPECT_FALSE(contains(a, "airlock-bundle"));
  EXPECT_FALSE(contains(a, std::string(32, 'A')));
  EXPECT_NE(a.substr(kSealedHeaderBytes), b.substr(kSealedHeaderBytes));  // a fresh content key each time
}

TEST(SealedFile, PlainFileIsNotSealed) {
  TempDir d;
  put_bytes(d / "plain", "index.json" + std::string(600, '\0'));
  EXPECT_EQ(sealed_recipient(d / "plain"), std::nullopt);
  put_bytes(d / "empty", "");
  EXPECT_EQ(sealed_recipient(d / "empty"), std::nullopt);
}

TEST(SealedFile, AnotherKeyIsRefusedNamingBothKeys) {
  TempDir d;
  const SecretKey key = generate_key(), other = generate_key();
  seal(d / "f", key.public_key(), "secret text");
  const std::string msg = error_of([&] { SealedReader r(d / "f", other); });
  EXPECT_TRUE(contains(msg, "encrypted to key " + key.key_id)) << msg;
  EXPECT_TRUE(contains(msg, other.key_id)) << msg;
}

TEST(SealedFile, AnyEditedByteFailsAuthentication) {
  TempDir d;
  const SecretKey key = generate_key();
  seal(d / "f", key.public_key(), random_bytes(kSealedChunkBytes + 300, 7));
  const std::string good = file_bytes(d / "f");
  // version, key id, sealed key, stream header, first chunk, second (final) chunk's tag and last byte
  for (size_t at : {size_t{15}, size_t{20}, size_t{30}, size_t{110}, kSealedHeaderBytes, kSealedHeaderBytes + 5000,
                    kSealedHeaderBytes + kCipherChunk, good.size() - 1}) {
    std::string bad = good;
    bad[at] ^= 0x01;
    put_bytes(d / "bad", bad);
    EXPECT_NE(error_of([&] { open_all(d / "bad", key); }), "") << "byte " << at;
  }
}

TEST(SealedFile, CutAtAnyChunkBoundaryOrInsideIsTruncation) {
  TempDir d;
  const SecretKey key = generate_key();
  seal(d / "f", key.public_key(), random_bytes(3 * kSealedChunkBytes + 5, 9));
  const std::string good = file_bytes(d / "f");
  for (size_t len : {size_t{20}, kSealedHeaderBytes, kSealedHeaderBytes + 10, kSealedHeaderBytes + kCipherChunk,
                     kSealedHeaderBytes + 3 * kCipherChunk, good.size() - 1}) {
    put_bytes(d / "cut", good.substr(0, len));
    const std::string msg = error_of([&] { open_all(d / "cut", key); });
    EXPECT_TRUE(contains(msg, "truncated") || contains(msg, "fails authentication")) << len << ": " << msg;
  }
  // The cut that drops exactly the final chunk leaves only whole, authentic chunks.
  put_bytes(d / "cut", good.substr(0, kSealedHeaderBytes + 3 * kCipherChunk));
  EXPECT_TRUE(contains(error_of([&] { open_all(d / "cut", key); }), "before its final one"));
}

TEST(SealedFile, BytesAfterTheFinalChunkAreRefused) {
  TempDir d;
  const SecretKey key = generate_key();
  // A short final chunk read with the extra byte no longer authenticates.
  seal(d / "f", key.public_key(), "short");
  put_bytes(d / "f", file_bytes(d / "f") + "x");
  EXPECT_TRUE(contains(error_of([&] { open_all(d / "f", key); }), "fails authentication"));
  // A full final chunk authenticates, and the byte after it is named as such.
  seal(d / "f", key.public_key(), random_bytes(kSealedChunkBytes, 3));
  put_bytes(d / "f", file_bytes(d / "f") + "x");
  EXPECT_TRUE(contains(error_of([&] { open_all(d / "f", key); }), "after the encrypted stream's final chunk"));
}

TEST(SealedFile, UnknownVersionIsRefused) {
  TempDir d;
  const SecretKey key = generate_key();
  seal(d / "f", key.public_key(), "short");
  std::string b = file_bytes(d / "f");
  b[14] = 2;
  put_bytes(d / "f", b);
  EXPECT_TRUE(contains(error_of([&] { sealed_recipient(d / "f"); }), "version 2 is not supported"));
}
