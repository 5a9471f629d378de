// What airlock will compute for a model file once every per-architecture rule is applied
// (attention scale, sliding-window layers, rope, soft-caps, norm epsilon), for `airlock inspect`.
#pragma once
#include <nlohmann/json.hpp>

#include "gguf/gguf.h"

namespace airlock::cli {

// {"attention_scale", ...}; or {"error": why} when airlock cannot run the file (unsupported
// architecture, missing or inconsistent keys, a vocabulary-only file).
nlohmann::json effective_hparams(const gguf::File& f);

// The same as indented "label: value" lines under an "effective values" heading.
void print_effective_hparams(const nlohmann::json& e);

}  // namespace airlock::cli
