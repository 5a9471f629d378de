// What `list` and `show` report about a model, read from its GGUF header: family, parameter count
// and quantisation, plus the chat template. Stored in the manifest's config blob in the familiar
// server's format, so stores it wrote show the same details.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace airlock::store {

struct ModelDetails {
  std::string format;              // "gguf"
  std::string family;              // general.architecture
  std::vector<std::string> families;
  std::string parameter_size;      // "7.2B", "292.4K"
  std::string quantization_level;  // "Q4_K_M", "F16"
  uint64_t parameter_count = 0;
  std::string chat_template;       // tokenizer.chat_template, may be empty
};

// Reads the GGUF header. Throws airlock::Error (from the GGUF reader) for a file that is not GGUF.
ModelDetails read_model_details(const std::filesystem::path& gguf);

// llama.cpp's file type names for general.file_type ("MOSTLY_Q4_K_M" -> "Q4_K_M"); "" if unknown.
std::string file_type_name(int64_t file_type);
// 1234567 -> "1.2M", 7241732096 -> "7.2B".
std::string human_parameter_count(uint64_t n);

// The config blob: {"model_format", "model_family", "model_families", "model_type", "file_type",
// "rootfs": {"type": "layers", "diff_ids": [...]}}.
nlohmann::json config_json(const ModelDetails& d, const std::vector<std::string>& layer_digests);
// Reads the details back from a config blob; fields that are missing stay empty.
ModelDetails details_from_config(const nlohmann::json& config);

}  // namespace airlock::store
