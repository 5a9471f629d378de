#include "store/sealed_file.h"

#include <airlock/error.h>
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "store/digest.h"

namespace airlock::store {
namespace fs = std::filesystem;

namespace {
constexpr char kMagic[] = "airlock-sealed";
constexpr size_t kMagicBytes = sizeof kMagic - 1;
constexpr uint16_t kVersion = 1;
constexpr size_t kKeyIdBytes = 8;
constexpr size_t kContentKeyBytes = crypto_secretstream_xchacha20poly1305_KEYBYTES;
constexpr size_t kSealedKeyBytes = crypto_box_SEALBYTES + kContentKeyBytes;
constexpr size_t kStreamHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kKeyIdAt = kMagicBytes + 2;
constexpr size_t kSealedKeyAt = kKeyIdAt + kKeyIdBytes;
constexpr size_t kStreamHeaderAt = kSealedKeyAt + kSealedKeyBytes;
// Chunks authenticate everything before the stream header: magic, version, key id, sealed key.
constexpr size_t kAdBytes = kStreamHeaderAt;
constexpr size_t kCipherChunkBytes = kSealedChunkBytes + crypto_secretstream_xchacha20poly1305_ABYTES;
static_assert(kStreamHeaderAt + kStreamHeaderBytes == kSealedHeaderBytes);

void sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw Error("libsodium: cannot initialise");
}

using X25519 = std::array<uint8_t, 32>;

X25519 x25519_public(const PublicKey& k) {
  X25519 out{};
  if (crypto_sign_ed25519_pk_to_curve25519(out.data(), k.key.data()) != 0)
    throw Error("key " + k.key_id + " cannot receive encrypted bundles: not a valid Ed25519 public key");
  return out;
}

// The X25519 secret of an Ed25519 seed; the caller wipes it.
X25519 x25519_secret(const SecretKey& k) {
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  X25519 out{};
  const int rc = crypto_sign_seed_keypair(pk, sk, k.seed.data()) == 0
                     ? crypto_sign_ed25519_sk_to_curve25519(out.data(), sk)
                     : -1;
  sodium_memzero(sk, sizeof sk);
  if (rc != 0) throw Error("key " + k.key_id + ": cannot derive its X25519 secret");
  return out;
}

// Reads up to n bytes, fewer only at the end of the file.
size_t read_full(int fd, uint8_t* p, size_t n, const fs::path& path) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw Error(path.string() + ": read failed: " + std::strerror(errno));
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

void write_all(int fd, const uint8_t* p, size_t n, const fs::path& path) {
  while (n > 0) {
    const ssize_t r = ::write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw Error(path.string() + ": write failed: " + std::strerror(errno));
    p += r;
    n -= static_cast<size_t>(r);
  }
}

// Checks magic and version; false when the bytes are not a sealed file at all.
bool sealed_magic(const uint8_t* header, size_t n, const fs::path& path) {
  if (n < kMagicBytes || std::memcmp(header, kMagic, kMagicBytes) != 0) return false;
  if (n < kMagicBytes + 2) throw Error(path.string() + ": encrypted bundle header is truncated");
  const unsigned version = header[kMagicBytes] | (header[kMagicBytes + 1] << 8);
  if (version != kVersion)
    throw Error(path.string() + ": encrypted bundle format version " + std::to_string(version) +
                " is not supported (this airlock reads version 1)");
  return true;
}
}  // namespace

struct SealedWriter::State {
  crypto_secretstream_xchacha20poly1305_state s;
};
struct SealedReader::State {
  crypto_secretstream_xchacha20poly1305_state s;
};

std::optional<std::string> sealed_recipient(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(file.string() + ": cannot open bundle: " + std::strerror(errno));
  uint8_t head[kSealedKeyAt];
  size_t n = 0;
  try {
    n = read_full(fd, head, sizeof head, file);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (!sealed_magic(head, n, file)) return std::nullopt;
  if (n < kSealedKeyAt) throw Error(file.string() + ": encrypted bundle header is truncated");
  return to_hex(head + kKeyIdAt, kKeyIdBytes);
}

SealedWriter::SealedWriter(const fs::path& path, const PublicKey& recipient)
    : path_(path), plain_(), cipher_(kCipherChunkBytes), state_(std::make_unique<State>()) {
  sodium_ready();
  plain_.reserve(kSealedChunkBytes);
  std::array<uint8_t, kSealedHeaderBytes> header{};
  std::memcpy(header.data(), kMagic, kMagicBytes);
  header[kMagicBytes] = kVersion & 0xff;
  header[kMagicBytes + 1] = kVersion >> 8;
  if (!from_hex(recipient.key_id, header.data() + kKeyIdAt, kKeyIdBytes))
    throw Error("key id '" + recipient.key_id + "' is not 16 hex digits");
  const X25519 pk = x25519_public(recipient);
  uint8_t content_key[kContentKeyBytes];
  crypto_secretstream_xchacha20poly1305_keygen(content_key);
  const bool ok =
      crypto_box_seal(header.data() + kSealedKeyAt, content_key, sizeof content_key, pk.data()) == 0 &&
      crypto_secretstream_xchacha20poly1305_init_push(&state_->s, header.data() + kStreamHeaderAt, content_key) == 0;
  sodium_memzero(content_key, sizeof content_key);
  if (!ok) throw Error(path.string() + ": cannot set up encryption to key " + recipient.key_id);
  ad_.assign(header.begin(), header.begin() + kAdBytes);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(path.string() + ": cannot create: " + std::strerror(errno));
  write_all(fd_, header.data(), header.size(), path_);
}

SealedWriter::~SealedWriter() {
  if (fd_ >= 0) ::close(fd_);
  sodium_memzero(state_.get(), sizeof *state_);
}

void SealedWriter::write(const void* data, size_t n) {
  if (fd_ < 0) throw Error(path_.string() + ": write after the encrypted stream was finished");
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    // A full chunk goes out only once more bytes arrive: the last chunk must carry the FINAL tag.
    if (plain_.size() == kSealedChunkBytes) {
      emit(plain_.data(), plain_.size(), false);
      plain_.clear();
    }
    const size_t take = std::min(n, kSealedChunkBytes - plain_.size());
    plain_.insert(plain_.end(), p, p + take);
    p += take;
    n -= take;
  }
}

void SealedWriter::finish() {
  if (fd_ < 0) throw Error(path_.string() + ": encrypted stream finished twice");
  emit(plain_.data(), plain_.size(), true);
  sodium_memzero(plain_.data(), plain_.size());
  plain_.clear();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error(path_.string() + ": write failed: " + std::strerror(errno));
}

void SealedWriter::emit(const uint8_t* plain, size_t n, bool final) {
  unsigned long long len = 0;
  const uint8_t tag = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                            : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  if (crypto_secretstream_xchacha20poly1305_push(&state_->s, cipher_.data(), &len, plain, n, ad_.data(), ad_.size(),
                                                 tag) != 0)
    throw Error(path_.string() + ": encryption failed");
  write_all(fd_, cipher_.data(), static_cast<size_t>(len), path_);
}

SealedReader::SealedReader(const fs::path& path, const SecretKey& key)
    : path_(path), plain_(kSealedChunkBytes), cipher_(kCipherChunkBytes), state_(std::make_unique<State>()) {
  sodium_ready();
  const std::string origin = path.string();
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(origin + ": cannot open bundle: " + std::strerror(errno));
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::array<uint8_t, kSealedHeaderBytes> header{};
  const size_t n = read_full(fd_, header.data(), header.size(), path);
  if (!sealed_magic(header.data(), n, path)) throw Error(origin + ": not an encrypted bundle");
  if (n < header.size()) throw Error(origin + ": encrypted bundle header is truncated");
  recipient_ = to_hex(header.data() + kKeyIdAt, kKeyIdBytes);
  const PublicKey mine = key.public_key();
  if (recipient_ != mine.key_id)
    throw Error(origin + ": bundle is encrypted to key " + recipient_ + ", not to key " + mine.key_id +
                " (the secret key given)");
  const X25519 pk = x25519_public(mine);
  X25519 sk = x25519_secret(key);
  uint8_t content_key[kContentKeyBytes];
  const bool opened =
      crypto_box_seal_open(content_key, header.data() + kSealedKeyAt, kSealedKeyBytes, pk.data(), sk.data()) == 0;
  sodium_memzero(sk.data(), sk.size());
  if (!opened)
    throw Error(origin + ": the content key sealed to key " + recipient_ +
                " does not open with that key's secret: the header was altered or damaged");
  const bool ok = crypto_secretstream_xchacha20poly1305_init_pull(&state_->s, header.data() + kStreamHeaderAt,
                                                                  content_key) == 0;
  sodium_memzero(content_key, sizeof content_key);
  if (!ok) throw Error(origin + ": damaged encrypted stream header");
  ad_.assign(header.begin(), header.begin() + kAdBytes);
}

SealedReader::~SealedReader() {
  if (fd_ >= 0) ::close(fd_);
  sodium_memzero(state_.get(), sizeof *state_);
  sodium_memzero(plain_.data(), plain_.size());
}

std::span<const uint8_t> SealedReader::next() {
  if (done_) return {};
  const std::string origin = path_.string();
  const size_t n = read_full(fd_, cipher_.data(), cipher_.size(), path_);
  if (n < crypto_secretstream_xchacha20poly1305_ABYTES)
    throw Error(origin + ": truncated: the encrypted stream ends after " + std::to_string(chunk_) +
                " chunks, before its final one");
  unsigned long long len = 0;
  uint8_t tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(&state_->s, plain_.data(), &len, &tag, cipher_.data(), n,
                                                 ad_.data(), ad_.size()) != 0)
    throw Error(origin + ": encrypted chunk " + std::to_string(chunk_ + 1) +
                " fails authentication: the bundle was altered, damaged or truncated");
  ++chunk_;
  if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
    done_ = true;
    uint8_t extra;
    if (read_full(fd_, &extra, 1, path_) != 0)
      throw Error(origin + ": unexpected bytes after the encrypted stream's final chunk");
  } else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
    throw Error(origin + ": encrypted chunk " + std::to_string(chunk_) + " has an unexpected tag");
  }
  return {plain_.data(), static_cast<size_t>(len)};
}

void SealedReader::expect_end() {
  while (!done_) next();
}

}  // namespace airlock::store
