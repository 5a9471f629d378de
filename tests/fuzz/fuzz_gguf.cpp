// Feeds arbitrary bytes to the GGUF parser. Anything but a clean airlock::Error (a crash, a
// sanitizer report, a hang, a huge allocation) is a finding. What parses is walked completely, so
// that every value and tensor the parser hands out is touched.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "airlock/error.h"
#include "gguf/gguf.h"

namespace {

using namespace airlock::gguf;

uint64_t walk(const Value& v) {
  uint64_t h = static_cast<uint64_t>(v.type) + v.u + static_cast<uint64_t>(v.i) + v.s.size();
  if (v.type != ValueType::ARRAY) return h;
  const Array& a = v.as_array();
  for (size_t k = 0; k < a.size(); ++k) {
    if (a.elem_type() == ValueType::ARRAY) h += walk(a.array_at(k));
    else if (a.elem_type() == ValueType::STRING) h += a.string_at(k).size();
    else h += walk(a[k]);
  }
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = File::parse(data, size, "fuzz.gguf");
    volatile uint64_t sink = f->version() + f->alignment() + f->data_offset();
    for (const auto& kv : f->metadata()) {
      sink = sink + kv.key.size() + walk(kv.value);
      if (f->find(kv.key) != &kv.value) __builtin_trap();
    }
    for (const auto& t : f->tensors()) {
      if (f->tensor(t.name) != &t) __builtin_trap();
      // Every byte the parser claims belongs to a tensor must be readable.
      if (t.nbytes > 0) sink = sink + t.data[0] + t.data[t.nbytes - 1];
      sink = sink + static_cast<uint64_t>(t.n_elements());
    }
    (void)sink;
  } catch (const airlock::Error&) {
  }
  return 0;
}
