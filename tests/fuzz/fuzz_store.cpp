// libFuzzer target for what the store reads from outside: the first byte picks a Modelfile, a
// manifest, a model reference, a public key, or a bundle (arbitrary tar bytes, verified only; the
// bundle is written to a temp file that is removed). Anything but a clean airlock::Error is a
// finding, and a parsed model reference must survive a round trip through its full name.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "airlock/error.h"
#include "store/bundle.h"
#include "store/manifest.h"
#include "store/model_ref.h"
#include "store/modelfile.h"
#include "store/signing.h"

using namespace airlock::store;

namespace {

void fuzz_bundle(std::string_view bytes) {
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("airlock-fuzz-bundle-" + std::to_string(getpid()) + ".tar");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  struct Remove {
    ~Remove() { std::filesystem::remove(file); }
  } remove;
  verify_bundle(file, {}, nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 5) {
      case 0: {
        const Modelfile mf = Modelfile::parse(text, "fuzz/Modelfile");
        volatile size_t n = mf.render().size();
        (void)n;
        break;
      }
      case 1: {
        const Manifest m = Manifest::parse(text, "fuzz/manifest");
        volatile uint64_t n = m.serialize().size() + m.total_size() + m.blobs().size();
        (void)n;
        break;
      }
      case 2: {
        const ModelRef ref = ModelRef::parse(text);
        if (!(ModelRef::parse(ref.full()) == ref)) __builtin_trap();
        if (!(ModelRef::from_manifest_path(ref.manifest_path()) == ref)) __builtin_trap();
        volatile size_t n = ref.display().size();
        (void)n;
        break;
      }
      case 3:
        PublicKey::parse(text, "fuzz/key.pub");
        break;
      case 4:
        fuzz_bundle(text);
        break;
    }
  } catch (const airlock::Error&) {
  }
  return 0;
}
