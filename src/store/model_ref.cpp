#include "store/model_ref.h"

#include <airlock/error.h>

#include <vector>

namespace airlock::store {

namespace {
void check_part(std::string_view part, std::string_view what, std::string_view name, bool host) {
  if (part.empty()) throw Error("model name '" + std::string(name) + "': empty " + std::string(what));
  if (part.size() > 200)
    throw Error("model name '" + std::string(name.substr(0, 80)) + "...': " + std::string(what) +
                " longer than 200 characters");
  if (part[0] == '.' || part[0] == '-')
    throw Error("model name '" + std::string(name) + "': " + std::string(what) +
                " must not start with '" + part[0] + "'");
  for (char c : part) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || (host && c == ':');
    if (!ok)
      throw Error("model name '" + std::string(name) + "': " + std::string(what) +
                  " contains the character '" + c + "'");
  }
}
}  // namespace

ModelRef ModelRef::parse(std::string_view name) {
  ModelRef r{std::string(kDefaultHost), std::string(kDefaultNamespace), "", std::string(kDefaultTag)};
  std::string_view rest = name;
  std::vector<std::string_view> parts;
  size_t slash;
  while ((slash = rest.find('/')) != std::string_view::npos) {
    parts.push_back(rest.substr(0, slash));
    rest = rest.substr(slash + 1);
  }
  // The tag is after the last ':' of the last path segment (a host may hold a port).
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos) {
    r.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    check_part(r.tag, "tag", name, false);
  }
  r.model = std::string(rest);
  if (parts.size() > 2) throw Error("model name '" + std::string(name) + "': too many '/' parts");
  if (parts.size() == 2) {
    r.host = std::string(parts[0]);
    r.ns = std::string(parts[1]);
  } else if (parts.size() == 1) {
    r.ns = std::string(parts[0]);
  }
  check_part(r.host, "host", name, true);
  check_part(r.ns, "namespace", name, false);
  check_part(r.model, "model", name, false);
  return r;
}

ModelRef ModelRef::from_manifest_path(const std::filesystem::path& rel) {
  std::vector<std::string> parts;
  for (const auto& p : rel) parts.push_back(p.string());
  if (parts.size() != 4)
    throw Error("manifest path '" + rel.string() + "' is not <host>/<namespace>/<model>/<tag>");
  return parse(parts[0] + "/" + parts[1] + "/" + parts[2] + ":" + parts[3]);
}

std::string ModelRef::full() const { return host + "/" + ns + "/" + model + ":" + tag; }

std::string ModelRef::display() const {
  std::string s;
  if (host != kDefaultHost) s = host + "/" + ns + "/";
  else if (ns != kDefaultNamespace) s = ns + "/";
  return s + model + ":" + tag;
}

std::filesystem::path ModelRef::manifest_path() const {
  return std::filesystem::path(host) / ns / model / tag;
}

}  // namespace airlock::store
