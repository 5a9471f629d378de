// libFuzzer target: a GGUF image loaded as a model (architecture, hyper-parameters, every weight
// tensor's type and shape), as `airlock run` does with a file from outside. It must load or refuse
// with a clean airlock::Error; a crash, sanitizer report or huge allocation is a finding.
#include <cstddef>
#include <cstdint>

#include "airlock/error.h"
#include "gguf/gguf.h"
#include "model/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto model = airlock::model::Model::from_file(airlock::gguf::File::parse(data, size, "fuzz.gguf"));
    (void)model;
  } catch (const airlock::Error&) {
  }
  return 0;
}
