// libFuzzer target for constrained output. The input is "<source>\0<bytes>": the first byte's low
// bit says whether <source> is GBNF text or a JSON Schema (both arrive in API requests); the
// compiled grammar then matches <bytes> byte by byte. Anything but a clean airlock::Error is a
// finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "airlock/error.h"
#include "grammar/grammar.h"
#include "grammar/json_schema.h"
#include "grammar/matcher.h"

using namespace airlock::grammar;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool schema = data[0] & 1;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t split = rest.find('\0');
  const std::string_view source = rest.substr(0, split);
  const std::string_view bytes = split == std::string_view::npos ? std::string_view() : rest.substr(split + 1);
  try {
    auto g = schema ? json_schema_to_grammar(source) : Grammar::parse(source);
    Matcher m(g);
    volatile uint64_t sink = m.shortest_completion_bytes();
    for (size_t k = 0; k < bytes.size() && m.accept(bytes.substr(k, 1)); ++k)
      sink = sink + m.is_complete() + m.can_continue() + m.shortest_completion_bytes();
    (void)sink;
  } catch (const airlock::Error&) {
  }
  return 0;
}
