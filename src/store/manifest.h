// Model manifests: Docker v2 image manifests whose layers carry the familiar local model server's
// media types (model weights, template, system prompt, parameters, license, ...).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::store {

namespace media {
inline constexpr std::string_view kManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kModel = "application/vnd.ollama.image.model";
inline constexpr std::string_view kTemplate = "application/vnd.ollama.image.template";
inline constexpr std::string_view kSystem = "application/vnd.ollama.image.system";
inline constexpr std::string_view kParams = "application/vnd.ollama.image.params";
inline constexpr std::string_view kMessages = "application/vnd.ollama.image.messages";
inline constexpr std::string_view kLicense = "application/vnd.ollama.image.license";
inline constexpr std::string_view kAdapter = "application/vnd.ollama.image.adapter";
inline constexpr std::string_view kProjector = "application/vnd.ollama.image.projector";
}  // namespace media

struct Layer {
  std::string media_type;
  std::string digest;  // sha256:<hex>
  uint64_t size = 0;
};

struct Manifest {
  int schema_version = 2;
  std::string media_type{media::kManifest};
  Layer config;
  std::vector<Layer> layers;

  // Throws airlock::Error naming `origin` and the field for malformed JSON, a missing field, or a
  // digest that is not sha256:<64 hex>.
  static Manifest parse(std::string_view json, std::string_view origin);
  std::string serialize() const;

  // The first layer of that media type, or nullptr.
  const Layer* find(std::string_view media_type) const;
  // Config and layers: every blob the manifest needs.
  std::vector<Layer> blobs() const;
  uint64_t total_size() const;
};

}  // namespace airlock::store
