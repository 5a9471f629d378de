#include "store/model_info.h"

#include <cstdio>
#include <map>

#include "gguf/file_type.h"
#include "gguf/gguf.h"

namespace airlock::store {

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
  if (auto ft = f->get_int("general.file_type")) d.quantization_level = gguf::file_type_name(*ft);
  if (d.quantization_level.empty() || d.quantization_level.rfind("unknown", 0) == 0) {
    d.quantization_level.clear();
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
