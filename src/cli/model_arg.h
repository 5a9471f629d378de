// Every command that takes a model accepts a GGUF file path or a model-store name.
#pragma once
#include <filesystem>
#include <string>

namespace airlock::cli {

// An existing file is used as is; anything else is looked up as NAME[:TAG] in the default store
// ($AIRLOCK_MODELS or ~/.airlock/models) and the model's GGUF blob returned. Throws airlock::Error
// naming both interpretations when neither works.
std::filesystem::path resolve_model_arg(const std::string& arg);

}  // namespace airlock::cli
