#include "server/api_keys.h"

#include <airlock/error.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <fstream>
#include <sstream>

#include "audit/chain.h"
#include "store/durable_file.h"

namespace airlock::server {

namespace fs = std::filesystem;

Scope parse_scope(const std::string& s) {
  if (s == "inference") return Scope::Inference;
  if (s == "admin") return Scope::Admin;
  throw Error("scope '" + s + "' is not inference or admin");
}

const char* scope_name(Scope s) { return s == Scope::Admin ? "admin" : "inference"; }

std::vector<ApiKey> read_keys_file(const fs::path& file) {
  std::vector<ApiKey> keys;
  std::ifstream in(file);
  if (!in) return keys;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    ApiKey k;
    std::string scope, extra;
    fields >> k.name >> scope >> k.hash >> k.created >> extra;
    const std::string at = file.string() + " line " + std::to_string(n) + ": ";
    if (k.created.empty() || !extra.empty()) throw Error(at + "expected NAME SCOPE SHA256 CREATED");
    try {
      k.scope = parse_scope(scope);
    } catch (const Error& e) {
      throw Error(at + e.what());
    }
    if (k.hash.size() != 64 || k.hash.find_first_not_of("0123456789abcdef") != std::string::npos)
      throw Error(at + "the hash is not 64 lowercase hex digits");
    for (const auto& other : keys)
      if (other.name == k.name) throw Error(at + "the name " + k.name + " appears twice");
    keys.push_back(std::move(k));
  }
  return keys;
}

void write_keys_file(const fs::path& file, const std::vector<ApiKey>& keys) {
  std::string text = "# airlock API keys: NAME SCOPE SHA256-OF-KEY CREATED (managed by `airlock keys add/ls/revoke`)\n";
  for (const auto& k : keys) text += k.name + " " + scope_name(k.scope) + " " + k.hash + " " + k.created + "\n";
  store::write_file_atomic(file, text);
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
}

std::string new_key_secret() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Error("keys: no random bytes from OpenSSL");
  static const char* hex = "0123456789abcdef";
  std::string s = "al-";
  for (unsigned char b : bytes) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

std::string key_hash(std::string_view key) { return audit::sha256_hex(key); }

KeyRing::KeyRing(std::vector<std::string> plain_keys, fs::path keys_file)
    : plain_(std::move(plain_keys)), file_(std::move(keys_file)) {
  std::lock_guard lk(mu_);
  reload_locked();
}

void KeyRing::reload_locked() {
  std::error_code ec;
  const auto t = fs::last_write_time(file_, ec);
  if (ec) {  // no file (or revoked all by deleting it): no scoped keys
    keys_.clear();
    file_present_ = false;
    return;
  }
  if (file_present_ && t == seen_) return;
  keys_ = read_keys_file(file_);  // a bad edit throws: the request gets 500 naming the line
  seen_ = t;
  file_present_ = true;
}

bool KeyRing::empty() {
  std::lock_guard lk(mu_);
  reload_locked();
  return plain_.empty() && keys_.empty();
}

std::optional<Caller> KeyRing::find(const std::string& presented) {
  std::lock_guard lk(mu_);
  reload_locked();
  std::optional<Caller> found;
  // Every candidate is compared in full, in constant time, whichever matches.
  for (size_t i = 0; i < plain_.size(); ++i)
    if (plain_[i].size() == presented.size() && CRYPTO_memcmp(plain_[i].data(), presented.data(), presented.size()) == 0)
      found = Caller{"key-file:" + std::to_string(i + 1), Scope::Admin};
  const std::string h = key_hash(presented);
  for (const auto& k : keys_)
    if (CRYPTO_memcmp(k.hash.data(), h.data(), 64) == 0) found = Caller{k.name, k.scope};
  return found;
}

}  // namespace airlock::server
