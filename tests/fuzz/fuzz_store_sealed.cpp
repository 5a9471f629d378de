// libFuzzer target for encrypted bundles (store/sealed_file.h through verify_bundle). The first
// input byte says what the rest is:
//   bit 0 clear: the file itself, as is (magic, version, key id, sealed key, stream header and
//                chunks: the reader must refuse every damaged or foreign header cleanly); with bit
//                1 set, bytes 16..23 are overwritten with the fixed key's id first, so the fuzzer
//                gets past the recipient check to the sealed key and the chunks;
//   bit 0 set:   the plaintext of a bundle, encrypted for real to the fixed key, then cut to the
//                length the next two bytes give (0: not cut), so the decrypting reader feeds the
//                tar and index checks and meets truncation at every place.
// verify_bundle must accept or throw airlock::Error; anything else (a crash, another exception,
// a leak) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "airlock/error.h"
#include "store/bundle.h"
#include "store/sealed_file.h"

using namespace airlock::store;
namespace fs = std::filesystem;

namespace {
const SecretKey& fixed_key() {
  static const SecretKey key = [] {
    SecretKey k;
    for (size_t i = 0; i < k.seed.size(); ++i) k.seed[i] = static_cast<uint8_t>(i);
    k.key_id = k.public_key().key_id;
    return k;
  }();
  return key;
}

void put_bytes(const fs::path& p, std::string_view b) {
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(b.data(), static_cast<std::streamsize>(b.size()));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const fs::path dir = fs::temp_directory_path() / ("airlock-fuzz-sealed-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "b.sealed";
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((mode & 1) == 0) {
    std::string bytes(rest);
    if ((mode & 2) && bytes.size() >= 24) {
      const std::string& id = fixed_key().key_id;  // 16 hex digits -> 8 raw bytes
      for (size_t i = 0; i < 8; ++i) bytes[16 + i] = static_cast<char>(std::stoi(id.substr(2 * i, 2), nullptr, 16));
    }
    put_bytes(file, bytes);
  } else {
    size_t cut = 0;
    if (rest.size() >= 2) {
      cut = static_cast<uint8_t>(rest[0]) | (static_cast<size_t>(static_cast<uint8_t>(rest[1])) << 8);
      rest.remove_prefix(2);
    }
    {
      SealedWriter w(file, fixed_key().public_key());
      w.write(rest.data(), rest.size());
      w.finish();
    }
    if (cut > 0 && cut < fs::file_size(file)) fs::resize_file(file, cut);
  }
  try {
    verify_bundle(file, {}, nullptr, &fixed_key());
  } catch (const airlock::Error&) {
  }
  fs::remove(file);
  return 0;
}
