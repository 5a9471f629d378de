// libFuzzer target for the bundle reader, past the tar layer: the input is split at NUL bytes into
// index.json and then (path, content) pairs, written as a well-formed tar, so the fuzzer spends its
// time on the index, signature, SHA256SUMS and manifest checks rather than on tar headers (which
// fuzz_store covers). The reader must refuse with a clean airlock::Error or accept, and a bundle it
// accepts must install into an empty store.
#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "airlock/error.h"
#include "store/bundle.h"

using namespace airlock::store;
namespace fs = std::filesystem;

namespace {
std::vector<std::string_view> split_at_nul(std::string_view s) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = s.find('\0', start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

void write_tar(const fs::path& file, const std::vector<std::string_view>& parts) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, file.c_str());
  auto add = [&](std::string_view path, std::string_view content) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, std::string(path).c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    if (archive_write_header(a, e) == ARCHIVE_OK) archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  };
  add("index.json", parts[0]);
  for (size_t i = 1; i + 1 < parts.size(); i += 2) add(parts[i], parts[i + 1]);
  archive_write_close(a);
  archive_write_free(a);
}

// A fixed key, trusted, so that signatures naming its id are checked for real.
const std::vector<PublicKey>& trusted() {
  static const std::vector<PublicKey> keys = [] {
    SecretKey k;
    for (size_t i = 0; i < k.seed.size(); ++i) k.seed[i] = static_cast<uint8_t>(i);
    PublicKey pub = k.public_key();
    return std::vector<PublicKey>{pub};
  }();
  return keys;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = fs::temp_directory_path() / ("airlock-fuzz-bundle-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "b.tar";
  write_tar(file, split_at_nul(std::string_view(reinterpret_cast<const char*>(data), size)));
  bool accepted = false;
  try {
    verify_bundle(file, trusted(), nullptr);
    accepted = true;
  } catch (const airlock::Error&) {
  }
  if (accepted) {
    // What verify accepts, import must install (its only extra checks are the store's own).
    Store store(dir / "store");
    try {
      import_bundle(store, file, {});
    } catch (const airlock::Error&) {
      __builtin_trap();
    }
    fs::remove_all(dir / "store");
  }
  fs::remove(file);
  return 0;
}
