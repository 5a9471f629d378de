#include "store/model_info.h"

#include <cstdio>
#include <map>

#include "gguf/gguf.h"

namespace airlock::store {

std::string file_type_name(int64_t ft) {
  // llama.cpp's enum llama_ftype values as written into general.file_type.
  static const std::map<int64_t, const char*> kNames = {
      {0, "F32"},      {1, "F16"},      {2, "Q4_0"},    {3, "Q4_1"},     {7, "Q8_0"},
      {8, "Q5_0"},     {9, "Q5_1"},     {10, "Q2_K"},   {11, "Q3_K_S"},  {12, "Q3_K_M"},
      {13, "Q3_K_L"},  {14, "Q4_K_S"},  {15, "Q4_K_M"}, {16, "Q5_K_S"},  {17, "Q5_K_M"},
      {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"}, {21, "Q2_K_S"},  {22, "IQ3_XS"},
      {23, "IQ3_XXS"}, {24, "IQ1_S"},   {25, "IQ4_NL"}, {26, "IQ3_S"},   {27, "IQ3_M"},
      {28, "IQ2_S"},   {29, "IQ2_M"},   {30, "IQ4_XS"}, {31, "IQ1_M"},   {32, "BF16"},
      {36, "TQ1_0"},   {37, "TQ2_0"},   {38, "MXFP4_MOE"}};
  auto it = kNames.find(ft);
  return it == kNames.end() ? "" : it->second;
}

std::string human_parameter_count(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.1fB", n / 1e9);
  else if (n >= 1000000ull) std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
  else if (n >= 1000ull) std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  return buf;
}

ModelDetails read_model_details(const std::filesystem::path& path) {
  auto f = gguf::File::open(path);
  ModelDetails d;
  d.format = "gguf";
  d.family = f->architecture();
  if (!d.family.empty()) d.families = {d.family};
  for (const auto& t : f->tensors()) d.parameter_count += static_cast<uint64_t>(t.n_elements());
  d.parameter_size = human_parameter_count(d.parameter_count);
  if (auto ft = f->get_int("general.file_type")) d.quantization_level = file_type_name(*ft);
  if (d.quantization_level.empty()) {
    // No (known) file type: name it after the type holding most of the weights.
    std::map<std::string, uint64_t> by_type;
    for (const auto& t : f->tensors()) by_type[type_name(t.type)] += t.nbytes;
    uint64_t best = 0;
    for (const auto& [name, bytes] : by_type)
      if (bytes > best) best = bytes, d.quantization_level = name;
    for (auto& c : d.quantization_level) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  d.chat_template = f->get_string("tokenizer.chat_template").value_or("");
  return d;
}

nlohmann::json config_json(const ModelDetails& d, const std::vector<std::string>& layer_digests) {
  return {{"model_format", d.format},
          {"model_family", d.family},
          {"model_families", d.families},
          {"model_type", d.parameter_size},
          {"file_type", d.quantization_level},
          {"architecture", "amd64"},
          {"os", "linux"},
          {"rootfs", {{"type", "layers"}, {"diff_ids", layer_digests}}}};
}

ModelDetails details_from_config(const nlohmann::json& c) {
  ModelDetails d;
  if (!c.is_object()) return d;
  auto str = [&](const char* k) {
    auto it = c.find(k);
    return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  d.format = str("model_format");
  d.family = str("model_family");
  d.parameter_size = str("model_type");
  d.quantization_level = str("file_type");
  if (auto it = c.find("model_families"); it != c.end() && it->is_array())
    for (const auto& f : *it)
      if (f.is_string()) d.families.push_back(f.get<std::string>());
  return d;
}

}  // namespace airlock::store
