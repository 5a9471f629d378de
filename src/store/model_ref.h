// Model names as users type them, `[host/][namespace/]model[:tag]`, completed with the defaults
// of the familiar local model server (registry.ollama.ai / library / latest) so that its manifest
// paths are ours.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace airlock::store {

inline constexpr std::string_view kDefaultHost = "registry.ollama.ai";
inline constexpr std::string_view kDefaultNamespace = "library";
inline constexpr std::string_view kDefaultTag = "latest";

struct ModelRef {
  std::string host;
  std::string ns;
  std::string model;
  std::string tag;

  // Throws airlock::Error for an empty part, a part with characters outside [A-Za-z0-9._-]
  // (the host may also hold ':' for a port), a part starting with '.', or too many parts; these
  // rules keep every name a safe relative path under manifests/.
  static ModelRef parse(std::string_view name);
  // Inverse of manifest_path(): the reference for manifests/<host>/<ns>/<model>/<tag>.
  static ModelRef from_manifest_path(const std::filesystem::path& rel);

  // host/ns/model:tag in full.
  std::string full() const;
  // As users write it: defaults left out ("llama3:latest", "me/tiny:q8").
  std::string display() const;
  // manifests-relative path: <host>/<ns>/<model>/<tag>.
  std::filesystem::path manifest_path() const;

  bool operator==(const ModelRef&) const = default;
};

}  // namespace airlock::store
