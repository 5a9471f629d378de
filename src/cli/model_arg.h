// Every command that takes a model accepts a GGUF file path or a model-store name.
#pragma once
#include <filesystem>
#include <string>

namespace airlock::cli {

// An existing file, or an argument that can only be a path (ends in .gguf, starts with / ./ ../,
// or is no valid store name), is returned as is for the file opener to report on; anything else is
// looked up as NAME[:TAG] in the default store ($AIRLOCK_MODELS or ~/.airlock/models) and the
// model's GGUF blob returned. Throws airlock::Error naming both interpretations when neither works.
std::filesystem::path resolve_model_arg(const std::string& arg);

}  // namespace airlock::cli
