// libFuzzer target for Modelfile parsing (airlock create reads them from anywhere): anything but a
// clean airlock::Error is a finding, and so is a Modelfile whose rendering (what `show --modelfile`
// prints) does not parse back to the same Modelfile.
#include <cstddef>
#include <cstdint>
#include <string>

#include "airlock/error.h"
#include "store/modelfile.h"

using airlock::store::Modelfile;

namespace {
bool same(const Modelfile& a, const Modelfile& b) {
  return a.from == b.from && a.template_text == b.template_text && a.system == b.system && a.license == b.license &&
         a.parameters == b.parameters && a.messages == b.messages;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Modelfile mf;
  try {
    mf = Modelfile::parse(text, "fuzz/Modelfile");
  } catch (const airlock::Error&) {
    return 0;
  }
  const std::string rendered = mf.render();
  try {
    if (!same(Modelfile::parse(rendered, "fuzz/rendered"), mf)) __builtin_trap();
  } catch (const airlock::Error&) {
    __builtin_trap();  // a parsed Modelfile always renders to one that parses
  }
  return 0;
}
