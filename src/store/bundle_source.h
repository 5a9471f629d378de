// The history's record of where a version came from, for a bundle import: the file and what its
// signature was when it was imported ("bundle /x/a.tar (signed by key 0123456789abcdef, trusted)",
// "... (signed by key ..., untrusted)", "... (unsigned)"). The history table has no column for
// it, so the state rides at the end of the source text, and source_signature reads it back for
// `airlock history` readers and the server's model history.
#pragma once
#include <filesystem>
#include <string>

#include "store/bundle.h"

namespace airlock::store {

std::string bundle_source(const std::filesystem::path& file, const BundleInfo& info);

struct SourceSignature {
  // "trusted", "untrusted", "unsigned"; "unknown" for a bundle imported before the state was
  // recorded; "none" when the version did not come from a bundle (import, create, copy).
  std::string state;
  std::string key_id;  // when signed
};
SourceSignature source_signature(const std::string& source);

}  // namespace airlock::store
