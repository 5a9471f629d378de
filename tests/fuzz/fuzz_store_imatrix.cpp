// libFuzzer target for importance matrices (`airlock quantize --imatrix FILE` reads them from
// anywhere): anything but a clean airlock::Error is a finding, and so is an accepted matrix with
// an empty entry or a value that is not finite, which the quantizer would then compute with.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "airlock/error.h"
#include "store/imatrix.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  airlock::store::ImportanceMatrix m;
  try {
    m = airlock::store::parse_imatrix({data, size}, "fuzz.imatrix");
  } catch (const airlock::Error&) {
    return 0;
  }
  if (m.entries.empty()) __builtin_trap();
  for (const auto& [name, values] : m.entries) {
    if (name.empty() || values.empty()) __builtin_trap();
    for (float v : values)
      if (!std::isfinite(v)) __builtin_trap();
  }
  return 0;
}
