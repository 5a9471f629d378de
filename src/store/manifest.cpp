#include "store/manifest.h"

#include <airlock/error.h>

#include <nlohmann/json.hpp>

#include "common/json_depth.h"
#include "store/digest.h"

namespace airlock::store {
using nlohmann::json;

namespace {
Layer parse_layer(const json& j, std::string_view origin, const std::string& field) {
  if (!j.is_object()) throw Error(std::string(origin) + ": " + field + " is not an object");
  Layer l;
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string())
      throw Error(std::string(origin) + ": " + field + "." + key + " missing or not a string");
    return it->get<std::string>();
  };
  l.media_type = str("mediaType");
  l.digest = str("digest");
  check_digest(l.digest, std::string(origin) + ": " + field + ".digest");
  auto it = j.find("size");
  if (it == j.end() || !it->is_number_unsigned())
    throw Error(std::string(origin) + ": " + field + ".size missing or not a non-negative integer");
  l.size = it->get<uint64_t>();
  return l;
}

json layer_json(const Layer& l) {
  return json{{"mediaType", l.media_type}, {"digest", l.digest}, {"size", l.size}};
}
}  // namespace

Manifest Manifest::parse(std::string_view text, std::string_view origin) {
  require_json_depth_within(text, std::string(origin) + ": manifest");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(std::string(origin) + ": manifest is not a JSON object");
  Manifest m;
  auto sv = j.find("schemaVersion");
  if (sv == j.end() || !sv->is_number_integer() || sv->get<int>() != 2)
    throw Error(std::string(origin) + ": schemaVersion must be 2");
  if (auto mt = j.find("mediaType"); mt != j.end() && mt->is_string()) m.media_type = *mt;
  auto cfg = j.find("config");
  if (cfg == j.end()) throw Error(std::string(origin) + ": manifest has no config");
  m.config = parse_layer(*cfg, origin, "config");
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array())
    throw Error(std::string(origin) + ": manifest has no layers array");
  for (size_t i = 0; i < layers->size(); ++i)
    m.layers.push_back(parse_layer((*layers)[i], origin, "layers[" + std::to_string(i) + "]"));
  return m;
}

std::string Manifest::serialize() const {
  json j{{"schemaVersion", schema_version}, {"mediaType", media_type}, {"config", layer_json(config)}};
  j["layers"] = json::array();
  for (const auto& l : layers) j["layers"].push_back(layer_json(l));
  return j.dump();
}

const Layer* Manifest::find(std::string_view media_type) const {
  for (const auto& l : layers)
    if (l.media_type == media_type) return &l;
  return nullptr;
}

std::vector<Layer> Manifest::blobs() const {
  std::vector<Layer> all{config};
  all.insert(all.end(), layers.begin(), layers.end());
  return all;
}

uint64_t Manifest::total_size() const {
  uint64_t n = config.size;
  for (const auto& l : layers) n += l.size;
  return n;
}

}  // namespace airlock::store
