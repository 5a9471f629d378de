#include "store/bundle_source.h"

#include <regex>

namespace airlock::store {

std::string bundle_source(const std::filesystem::path& file, const BundleInfo& info) {
  std::string state = "unsigned";
  if (info.signature != SignatureState::Unsigned)
    state = "signed by key " + info.key_id + (info.signature == SignatureState::Trusted ? ", trusted" : ", untrusted");
  return "bundle " + std::filesystem::absolute(file).string() + " (" + state + ")";
}

SourceSignature source_signature(const std::string& source) {
  if (source.rfind("bundle ", 0) != 0) return {"none", ""};
  // Matched at the end only: a bundle's path may itself hold parentheses.
  static const std::regex suffix(R"( \((?:signed by key ([0-9a-f]{16}), (trusted|untrusted)|(unsigned))\)$)");
  std::smatch m;
  if (!std::regex_search(source, m, suffix)) return {"unknown", ""};
  if (m[3].matched) return {"unsigned", ""};
  return {m[2].str(), m[1].str()};
}

}  // namespace airlock::store
