// The one UTF-8 encoder: tokenizers, the template engine, the grammar compiler and the synthetic
// model writer all turn code points into bytes the same way.
#pragma once
#include <cstdint>
#include <string>

namespace airlock {

// Appends `cp` (at most U+10FFFF) as its 1 to 4 UTF-8 bytes. Surrogate code points are encoded
// like any other: callers that must reject them check before.
void append_utf8(std::string& out, uint32_t cp);

}  // namespace airlock
