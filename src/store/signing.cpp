#include "store/signing.h"

#include <airlock/error.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <map>
#include <memory>

#include "store/digest.h"
#include "store/durable_file.h"

namespace airlock::store {
namespace fs = std::filesystem;

namespace {
constexpr std::string_view kSecretHeader = "airlock ed25519 secret key";
constexpr std::string_view kPublicHeader = "airlock ed25519 public key";
constexpr std::string_view kSignatureHeader = "airlock ed25519 signature";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Parses "header\nfield: value\n..." into its fields; throws naming `origin` on anything else.
std::map<std::string, std::string> parse_fields(std::string_view text, std::string_view header,
                                                std::string_view origin) {
  std::map<std::string, std::string> fields;
  bool first = true;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (first) {
      if (line != header)
        throw Error(std::string(origin) + ": not an " + std::string(header) + " file (first line '" +
                    std::string(line.substr(0, 60)) + "')");
      first = false;
      continue;
    }
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos)
      throw Error(std::string(origin) + ": malformed line '" + std::string(line.substr(0, 60)) + "'");
    fields[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 2));
  }
  if (first) throw Error(std::string(origin) + ": empty, expected an " + std::string(header) + " file");
  return fields;
}

std::string field(const std::map<std::string, std::string>& f, const char* name, std::string_view origin) {
  auto it = f.find(name);
  if (it == f.end()) throw Error(std::string(origin) + ": no '" + name + "' line");
  return it->second;
}

std::string key_id_of(const std::array<uint8_t, 32>& pub) {
  return sha256_of(std::string_view(reinterpret_cast<const char*>(pub.data()), pub.size())).substr(7, 16);
}

template <size_t N>
std::array<uint8_t, N> hex_field(const std::map<std::string, std::string>& f, const char* name,
                                 std::string_view origin) {
  std::array<uint8_t, N> out{};
  if (!from_hex(field(f, name, origin), out.data(), N))
    throw Error(std::string(origin) + ": '" + name + "' is not " + std::to_string(2 * N) + " hex digits");
  return out;
}
}  // namespace

std::string PublicKey::text() const {
  return std::string(kPublicHeader) + "\nkey-id: " + key_id + "\npublic: " + to_hex(key.data(), key.size()) + "\n";
}

PublicKey PublicKey::parse(std::string_view text, std::string_view origin) {
  auto f = parse_fields(text, kPublicHeader, origin);
  PublicKey k;
  k.key = hex_field<32>(f, "public", origin);
  k.key_id = field(f, "key-id", origin);
  if (k.key_id != key_id_of(k.key))
    throw Error(std::string(origin) + ": key-id " + k.key_id + " does not match the public key");
  return k;
}

PublicKey SecretKey::public_key() const {
  Pkey p(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!p) throw Error("ed25519: cannot load secret key");
  PublicKey k;
  size_t len = k.key.size();
  if (EVP_PKEY_get_raw_public_key(p.get(), k.key.data(), &len) != 1 || len != k.key.size())
    throw Error("ed25519: cannot derive public key");
  k.key_id = key_id_of(k.key);
  return k;
}

std::string SecretKey::text() const {
  return std::string(kSecretHeader) + "\nkey-id: " + key_id + "\nsecret: " + to_hex(seed.data(), seed.size()) + "\n";
}

SecretKey SecretKey::parse(std::string_view text, std::string_view origin) {
  auto f = parse_fields(text, kSecretHeader, origin);
  SecretKey k;
  k.seed = hex_field<32>(f, "secret", origin);
  k.key_id = k.public_key().key_id;
  if (field(f, "key-id", origin) != k.key_id)
    throw Error(std::string(origin) + ": key-id does not match the secret key");
  return k;
}

SecretKey generate_key() {
  SecretKey k;
  if (RAND_bytes(k.seed.data(), static_cast<int>(k.seed.size())) != 1)
    throw Error("ed25519: the system random generator failed");
  k.key_id = k.public_key().key_id;
  return k;
}

std::string sign_message(const SecretKey& key, std::string_view message) {
  Pkey p(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, key.seed.data(), key.seed.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  uint8_t sig[64];
  size_t len = sizeof sig;
  if (!p || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, p.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const uint8_t*>(message.data()), message.size()) != 1)
    throw Error("ed25519: signing failed");
  return std::string(kSignatureHeader) + "\nkey-id: " + key.key_id + "\nsignature: " + to_hex(sig, len) + "\n";
}

std::string signature_key_id(std::string_view signature_text, std::string_view origin) {
  return field(parse_fields(signature_text, kSignatureHeader, origin), "key-id", origin);
}

bool verify_message(const PublicKey& key, std::string_view message, std::string_view signature_text,
                    std::string_view origin) {
  auto f = parse_fields(signature_text, kSignatureHeader, origin);
  auto sig = hex_field<64>(f, "signature", origin);
  if (field(f, "key-id", origin) != key.key_id) return false;
  Pkey p(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.key.data(), key.key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!p || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, p.get()) != 1)
    throw Error("ed25519: cannot set up verification");
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), reinterpret_cast<const uint8_t*>(message.data()),
                          message.size()) == 1;
}

void trust_key(const fs::path& trusted_dir, const PublicKey& key) {
  write_file_atomic(trusted_dir / (key.key_id + ".pub"), key.text());
}

std::vector<PublicKey> trusted_keys(const fs::path& trusted_dir) {
  std::vector<PublicKey> out;
  std::error_code ec;
  if (!fs::is_directory(trusted_dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(trusted_dir)) {
    if (e.path().extension() != ".pub") continue;
    out.push_back(PublicKey::parse(read_small_file(e.path(), 4096), e.path().string()));
  }
  return out;
}

}  // namespace airlock::store
