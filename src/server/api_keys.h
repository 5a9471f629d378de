// Named API keys with scopes (`airlock keys add NAME --scope inference|admin`), kept as SHA-256
// hashes in a keys file (default <models>/api-keys): the key itself is shown once and never
// stored. SHA-256 without a salt or stretching is enough here because every key is 192 random
// bits: there is no dictionary to try. Keys of the plain api_key_file count as admin keys.
//
// Keys file: UTF-8 text, '#' comments, one key per line: "NAME SCOPE SHA256HEX CREATED".
#pragma once
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::server {

enum class Scope { Inference, Admin };
Scope parse_scope(const std::string& s);  // "inference" | "admin"; throws airlock::Error
const char* scope_name(Scope s);

struct ApiKey {
  std::string name;
  Scope scope = Scope::Inference;
  std::string hash;     // hex SHA-256 of the key
  std::string created;  // UTC time
};

// Throws airlock::Error "FILE line N: problem" for a bad line; a missing file holds no keys.
std::vector<ApiKey> read_keys_file(const std::filesystem::path& file);
// Atomic replace, mode 0600.
void write_keys_file(const std::filesystem::path& file, const std::vector<ApiKey>& keys);
// "al-" + 48 hex digits (192 random bits).
std::string new_key_secret();
std::string key_hash(std::string_view key);

struct Caller {
  std::string name;
  Scope scope = Scope::Admin;
};

// What the server checks a request's key against: the plain keys (admin, named key-file:N) and
// the keys file, re-read when it changes so that `keys revoke` takes effect without a restart.
class KeyRing {
 public:
  KeyRing(std::vector<std::string> plain_keys, std::filesystem::path keys_file);
  // True when no key of either kind is configured (and authentication is off).
  bool empty();
  std::optional<Caller> find(const std::string& presented);

 private:
  void reload_locked();
  std::vector<std::string> plain_;
  std::filesystem::path file_;
  std::mutex mu_;
  std::vector<ApiKey> keys_;
  std::filesystem::file_time_type seen_{};
  bool file_present_ = false;
};

}  // namespace airlock::server
